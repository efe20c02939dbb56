// The entries of a replanner's compact patch as it streams: the content deltas are read by core's
// incremental patch parser, and each entry is handed over the moment its line ends (decision 017),
// so that a failed step replaced in place starts while the replanner still writes.
import type { AIMessageChunk } from "@langchain/core/messages";
import { createPatchParser, type PatchEntry, type PatchParser, type PatchParserEnd } from "@replan/core";

/** What a streamed patch's reader gives once the call has ended. */
export interface PatchStreamReader {
  /** The chunk handler for the model call (a transport retry, a new `attempt`, starts a fresh parser). */
  onChunk: (chunk: AIMessageChunk, attempt: number) => void;
  /** How many entries were handed over. */
  readonly delivered: number;
  /** Ends the last attempt's text: the whole patch and the parser's issues. */
  end(): PatchParserEnd;
}

/**
 * Makes the reader of a streamed compact patch. Entries are handed to `onEntry` in order; a
 * transport retry that writes the answer again hands over only the entries not handed over yet
 * (the same entry, same place). Never throws: a parser failure stops the streaming, and the end
 * says what was wrong.
 *
 * @param planIds - the ids of the plan being patched (a numbered line whose id is in it replaces that step).
 * @param onEntry - receives each entry as its line ends.
 */
export function patchStreamReader(
  planIds: readonly string[],
  onEntry: (entry: PatchEntry) => void,
): PatchStreamReader {
  let parser: PatchParser | undefined;
  let parserAttempt = 0;
  let seen = 0; // entries of the current attempt
  let delivered = 0;
  let broken = false;
  return {
    onChunk(chunk, attempt) {
      if (attempt !== parserAttempt) {
        parser = createPatchParser({ planIds });
        parserAttempt = attempt;
        seen = 0;
        broken = false;
      }
      if (broken) return;
      try {
        const delta = typeof chunk.content === "string" ? chunk.content : chunk.text;
        for (const entry of parser!.push(delta)) {
          seen++;
          if (seen > delivered) {
            delivered = seen;
            onEntry(entry);
          }
        }
      } catch {
        broken = true;
      }
    },
    get delivered() {
      return delivered;
    },
    end() {
      const last = parser ?? createPatchParser({ planIds });
      const ended = last.end();
      for (const entry of ended.entries) {
        seen++;
        if (seen > delivered) {
          delivered = seen;
          onEntry(entry);
        }
      }
      return ended;
    },
  };
}
