/**
 * A command's output kept up to a byte cap, whatever the command prints.
 *
 * @module
 */

/** Keeps the first `limit` bytes of a stream and counts the rest. */
export class Capture {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  /** Adds a chunk; returns `true` the first time the limit is passed. */
  push(chunk: Buffer): boolean {
    if (this.truncated) return false;
    const room = this.limit - this.bytes;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.bytes += chunk.length;
      return false;
    }
    if (room > 0) this.chunks.push(Buffer.from(chunk.subarray(0, room)));
    this.bytes = this.limit;
    this.truncated = true;
    return true;
  }

  /** The kept output as UTF-8, with a marker when it was cut. */
  text(): string {
    const text = Buffer.concat(this.chunks).toString("utf8");
    return this.truncated ? `${text}\n[output truncated after ${this.limit} bytes]` : text;
  }
}
