// Usage arithmetic shared by the nodes.
import type { Usage } from "@replan/core";

export function addUsage(total: Usage, more: Usage): Usage {
  return {
    llmCalls: total.llmCalls + more.llmCalls,
    promptTokens: total.promptTokens + more.promptTokens,
    completionTokens: total.completionTokens + more.completionTokens,
  };
}
