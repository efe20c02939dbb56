// The reference for the adapter's overhead: a bare LangGraph StateGraph doing the same number of
// trivial supersteps (one node looping), trivial tasks (one superstep of `Send`s), or trivial
// functional-API tasks called at once from one node (what an executor running every step as a task pays).
import { Annotation, END, Send, START, StateGraph, task } from "@langchain/langgraph";

const LoopState = Annotation.Root({
  count: Annotation<number>({ reducer: (_, next) => next, default: () => 0 }),
});

const FanState = Annotation.Root({
  total: Annotation<number>({ reducer: (sum, next) => sum + next, default: () => 0 }),
});

/** A graph that runs `n` supersteps of one trivial node. */
export function bareSupersteps(n: number) {
  const graph = new StateGraph(LoopState)
    .addNode("tick", (state) => ({ count: state.count + 1 }))
    .addEdge(START, "tick")
    .addConditionalEdges("tick", (state) => (state.count < n ? "tick" : END), ["tick", END])
    .compile();
  return () => graph.invoke({ count: 0 }, { recursionLimit: n + 10 });
}

/** A graph that runs `n` trivial tasks in one superstep (`Send` fan-out). */
export function bareTasks(n: number) {
  const graph = new StateGraph(FanState)
    .addNode("work", (_input: { index: number }) => ({ total: 1 }))
    .addConditionalEdges(START, () => Array.from({ length: n }, (_, index) => new Send("work", { index })), [
      "work",
    ])
    .addEdge("work", END)
    .compile();
  return () => graph.invoke({ total: 0 });
}

/** A graph whose one node calls `n` trivial functional-API tasks at once and awaits them all. */
export function bareFunctionalTasks(n: number) {
  const work = task({ name: "work" }, async (index: number) => index);
  const graph = new StateGraph(FanState)
    .addNode("fan", async () => {
      const values = await Promise.all(Array.from({ length: n }, (_, index) => work(index)));
      return { total: values.length };
    })
    .addEdge(START, "fan")
    .addEdge("fan", END)
    .compile();
  return () => graph.invoke({ total: 0 });
}

/**
 * A full garbage collection before each timed run (with `node --expose-gc`, as `pnpm bench` runs),
 * so that a run does not pay for the garbage of the one before it. Without the flag, nothing.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Median wall time of `runs` invocations, after `warmups` untimed ones (LangGraph's code is cold at first).
 *
 * @param invoke - runs the graph once.
 * @param runs - how many timed runs.
 * @param warmups - how many untimed runs first.
 */
export async function timeMedian(invoke: () => Promise<unknown>, runs: number, warmups = 3): Promise<number> {
  for (let index = 0; index < warmups; index++) await invoke();
  const times: number[] = [];
  for (let index = 0; index < runs; index++) {
    collectGarbage();
    const start = performance.now();
    await invoke();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
