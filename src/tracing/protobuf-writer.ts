// The few protobuf wire primitives an OTLP trace export needs: varints, fixed64, length-
// delimited bytes and nested messages. Hand-written so the Worker carries no protobuf runtime.

const utf8 = new TextEncoder();

/** Wire types of the protobuf encoding. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = b;
  }

  /** An unsigned varint of a non-negative safe integer; negatives go through int64(). */
  #varint(n: number): void {
    let v = n;
    while (v >= 0x80) {
      this.#byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#byte(v);
  }

  #bigVarint(n: bigint): void {
    let v = BigInt.asUintN(64, n);
    while (v >= 0x80n) {
      this.#byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#byte(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): this {
    this.#tag(field, LEN);
    this.#varint(data.length);
    this.#ensure(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  /** A nested message, written by `fill` into a writer of its own and then length-prefixed. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.bytes(field, inner.finish());
  }

  uint(field: number, n: number): this {
    this.#tag(field, VARINT);
    this.#varint(n);
    return this;
  }

  /** int64 as a varint: negatives take ten bytes (two's complement), as protobuf defines. */
  int64(field: number, n: number): this {
    this.#tag(field, VARINT);
    if (n >= 0 && Number.isSafeInteger(n)) this.#varint(n);
    else this.#bigVarint(BigInt(Math.trunc(n)));
    return this;
  }

  bool(field: number, b: boolean): this {
    this.#tag(field, VARINT);
    this.#byte(b ? 1 : 0);
    return this;
  }

  double(field: number, n: number): this {
    this.#tag(field, FIXED64);
    this.#ensure(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#len, 8).setFloat64(0, n, true);
    this.#len += 8;
    return this;
  }

  fixed64(field: number, n: bigint): this {
    this.#tag(field, FIXED64);
    this.#ensure(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#len, 8).setBigUint64(0, BigInt.asUintN(64, n), true);
    this.#len += 8;
    return this;
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
