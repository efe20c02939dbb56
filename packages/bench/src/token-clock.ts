// The token-time clock: a model call costs its time to first token plus its output tokens at a
// fixed rate, and a tool step costs its latency factor times a unit. The bench runs a real clock
// ten times faster, so that the whole benchmark stays within minutes; every ratio is kept.

/** How long model calls and tool steps take under the token-time clock. */
export interface TokenClock {
  /** Time from the start of a model call to its first output token, in ms. */
  ttftMs: number;
  /** Output tokens per second after the first (each later token comes `1000 / tokensPerSecond` ms after the one before). */
  tokensPerSecond: number;
  /** A tool step's latency unit, in ms (a step takes its latency factor times this). */
  toolLatencyMs: number;
}

/** How many times faster than {@link REAL_CLOCK} the bench's clock runs. */
export const TOKEN_CLOCK_SPEEDUP = 10;

/**
 * The clock the bench stands for: a hosted model with 500 ms to the first token writing 100 tokens
 * per second (the middle of the 50-150 of today's models), and API calls of 500 ms.
 */
export const REAL_CLOCK: Readonly<TokenClock> = Object.freeze({
  ttftMs: 500,
  tokensPerSecond: 100,
  toolLatencyMs: 500,
});

/** The bench's token-time clock: {@link REAL_CLOCK}, {@link TOKEN_CLOCK_SPEEDUP} times faster. */
export const TOKEN_CLOCK: Readonly<TokenClock> = Object.freeze({
  ttftMs: REAL_CLOCK.ttftMs / TOKEN_CLOCK_SPEEDUP,
  tokensPerSecond: REAL_CLOCK.tokensPerSecond * TOKEN_CLOCK_SPEEDUP,
  toolLatencyMs: REAL_CLOCK.toolLatencyMs / TOKEN_CLOCK_SPEEDUP,
});

/** Time between two output tokens, in ms. */
export const tokenIntervalMs = (clock: TokenClock) => 1000 / clock.tokensPerSecond;

/**
 * When the `k`-th output token (1-based) of a call has arrived, in ms from the call's start:
 * the first at `ttftMs`, each later one `1000 / tokensPerSecond` ms after the one before.
 *
 * @param clock - the clock.
 * @param k - the token's position, from 1 (0: the call's start).
 */
export function tokenArrivalMs(clock: TokenClock, k: number): number {
  if (k <= 0) return 0;
  return clock.ttftMs + (k - 1) * tokenIntervalMs(clock);
}

/**
 * How long a call that writes `outputTokens` tokens takes (a call that writes nothing still
 * waits for its first, empty, chunk).
 *
 * @param clock - the clock.
 * @param outputTokens - the call's output tokens.
 */
export function callDurationMs(clock: TokenClock, outputTokens: number): number {
  return tokenArrivalMs(clock, Math.max(1, outputTokens));
}

/** The clock as one line of text, for the output. */
export function describeClock(clock: TokenClock): string {
  return `token-time clock: ttftMs=${clock.ttftMs}, tokensPerSecond=${clock.tokensPerSecond}, tool latency unit=${clock.toolLatencyMs} ms (a model with ${REAL_CLOCK.ttftMs} ms to first token at ${REAL_CLOCK.tokensPerSecond} tokens/s and tools of ${REAL_CLOCK.toolLatencyMs} ms, run ${TOKEN_CLOCK_SPEEDUP}x faster)`;
}
