// The executor node's log of attempt outcomes: saved through the "record" task, one call at a
// time, and read back in order when the node runs again after a crash (see executor-node.ts).
import { task } from "@langchain/langgraph";
import type { RunInput, RunState, SettleOutcome, StepOutcome } from "@replan/core";
import { whenSaved } from "./checkpointer.js";
import type { NodeControl, TaskCalls } from "./node-control.js";
import type { ReplanRecord } from "./node-replanner.js";

/** How long the write of a batch of outcomes may take before the node fails (`checkpoint-failed`). */
const SAVE_TIMEOUT_MS = 60_000;

/**
 * What is saved about an attempt: how it ended; that a `write` attempt starts (saved before its
 * tool is called, by the node run `writer`: see effect-log.ts); or how its unknown outcome was
 * settled by the tool's reconcile hook.
 */
export type SavedOutcome =
  | Exclude<StepOutcome, { type: "aborted" }>
  | { type: "start"; writer: string }
  | { type: "settle"; outcome: SettleOutcome };

/** One attempt of a step, as saved. */
export interface AttemptRecord {
  seq: number;
  stepId: string;
  at: number;
  attempt: number;
  outcome: SavedOutcome;
}

/**
 * An input of the run that is not a step's outcome, as saved by the planner node when it streams
 * the plan: the run as it started (`run`), then each streamed step and the plan's end (`input`).
 */
export interface InputRecord {
  seq: number;
  run?: RunState;
  input?: RunInput;
}

/**
 * What the log holds: attempts' outcomes, the replanner's answers (see node-replanner.ts), and (in
 * the streaming planner node) the run's other inputs.
 */
export type LogRecord = AttemptRecord | ReplanRecord | InputRecord;

/** A record without its sequence number (the log numbers it). */
export type UnnumberedRecord =
  | Omit<AttemptRecord, "seq">
  | Omit<ReplanRecord, "seq">
  | Omit<InputRecord, "seq">;

/** Whether a record is an attempt's outcome. */
export function isAttemptRecord(record: LogRecord): record is AttemptRecord {
  return "outcome" in record;
}

/** What a "record" task call saves. */
interface RecordBatch {
  token: number;
  records: LogRecord[];
}

/**
 * The replay log of one run of the executor node. {@link append} queues an outcome and saves the
 * queue with the next "record" call (one call at a time: outcomes that arrive meanwhile go into
 * the next batch). With a watched checkpointer (`confirmSaves`), an outcome is handed to `apply`
 * once its batch is saved; otherwise at once. {@link readSaved} reads the batches an earlier
 * process saved, up to the first call that runs (the end of the log).
 */
export class ReplayLog {
  private readonly recordTask = task({ name: "record" }, async (batch: RecordBatch): Promise<RecordBatch> => {
    this.calls.markRan(batch.token);
    return batch;
  });
  private unsaved: LogRecord[] = [];
  private saving = false;
  private seq = 0;

  /**
   * @param control - the node's control (work tracking, failure).
   * @param calls - the ids of the node's task calls.
   * @param confirmSaves - whether the node can see its saves succeed (a watched checkpointer).
   * @param apply - applies a saved (or, without `confirmSaves`, a new) outcome to the run.
   */
  constructor(
    private readonly control: NodeControl,
    private readonly calls: TaskCalls,
    private readonly confirmSaves: boolean,
    private readonly apply: (record: LogRecord) => void,
  ) {}

  /** Queues an attempt's outcome for saving (and applies it at once when saves are not confirmed). */
  append(record: UnnumberedRecord): void {
    const numbered = { seq: this.seq++, ...record } as LogRecord;
    this.unsaved.push(numbered);
    this.save();
    if (!this.confirmSaves) this.apply(numbered);
  }

  /** Saves the queued outcomes with one "record" call, unless one is in flight; returns whether it started one. */
  save(): boolean {
    if (this.saving || this.unsaved.length === 0 || this.control.failure !== undefined) return false;
    this.saving = true;
    const records = this.unsaved;
    this.unsaved = [];
    const token = this.calls.id();
    const batch: RecordBatch = { token, records };
    const write = this.confirmSaves ? whenSaved(batch, SAVE_TIMEOUT_MS) : undefined;
    this.control.track(
      (async () => {
        const saved = (await this.recordTask(batch)) as unknown as RecordBatch;
        if (!this.calls.ran(token)) {
          // A batch saved by an earlier process sits at this position (the earlier log went
          // further than the replay could follow): keep its outcomes, save ours at the next one.
          write?.forget();
          for (const record of recordsOf(saved)) {
            this.seq = Math.max(this.seq, record.seq + 1);
            this.apply(record);
          }
          this.unsaved = [...records, ...this.unsaved];
        } else if (write) {
          await untilSaved(write); // a failed write fails the node (track): nothing more is applied
          for (const record of records) this.apply(record);
        }
        this.saving = false;
        this.save();
      })(),
    );
    return true;
  }

  /**
   * Reads the saved batches in order, until the first call that runs (the end of the log, whose
   * empty batch is saved before any outcome is), and returns their outcomes in their original order.
   *
   * @param maxBatches - more saved batches than this is a bug (the node fails).
   */
  async readSaved(maxBatches: number): Promise<LogRecord[]> {
    const saved: LogRecord[] = [];
    for (let probe = 0; this.control.failure === undefined && !this.control.closed; probe++) {
      if (probe >= maxBatches) throw new Error(`BUG: more than ${maxBatches} saved outcome batches`);
      const token = this.calls.id();
      const empty: RecordBatch = { token, records: [] };
      const write = this.confirmSaves ? whenSaved(empty, SAVE_TIMEOUT_MS) : undefined;
      const batch = (await this.recordTask(empty)) as unknown as RecordBatch;
      if (this.calls.ran(token)) {
        // A later replay reads the log up to the first position with nothing saved.
        if (write) await untilSaved(write);
        break;
      }
      write?.forget();
      saved.push(...recordsOf(batch));
    }
    saved.sort((a, b) => a.seq - b.seq);
    this.seq = Math.max(this.seq, saved.length > 0 ? saved.at(-1)!.seq + 1 : 0);
    return saved;
  }
}

/**
 * Waits until the write of a record call that ran here has succeeded (rejects if it failed).
 * LangGraph hands a task's value to the saver as the call returns, within the same turn of the
 * event loop; if it has not by the next turn, it writes nothing during the run (durability
 * "exit"), and there is nothing to wait for.
 */
async function untilSaved(write: ReturnType<typeof whenSaved>): Promise<void> {
  const started = await Promise.race([
    write.started.then(() => true),
    new Promise<boolean>((resolve) => setImmediate(resolve, false)),
  ]);
  if (started) await write.saved;
  else write.forget();
}

/** The records of a saved batch, or none if the value is not one (e.g. saved by an older version). */
function recordsOf(value: unknown): LogRecord[] {
  const records = (value as { records?: unknown } | null)?.records;
  return Array.isArray(records) ? (records as LogRecord[]) : [];
}
