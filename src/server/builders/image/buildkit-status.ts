// BuildKit's progress arrives as `{id: 'moby.buildkit.trace', aux: <base64 StatusResponse>}`
// (moby/buildkit api/services/control/control.proto). Only vertexes and logs are read, so a
// field reader of a few dozen lines does instead of a protobuf runtime and a .proto file.

export interface BuildkitVertex {
  digest: string;
  name: string;
  cached: boolean;
  /** Milliseconds since the epoch, when set. */
  started?: number;
  completed?: number;
  error: string;
}

export interface BuildkitLog {
  vertex: string;
  data: Buffer;
}

export interface BuildkitStatus {
  vertexes: BuildkitVertex[];
  logs: BuildkitLog[];
}

export function decodeStatus(base64: string): BuildkitStatus {
  const status: BuildkitStatus = { vertexes: [], logs: [] };
  for (const f of fields(Buffer.from(base64, 'base64'))) {
    if (f.no === 1 && Buffer.isBuffer(f.value)) status.vertexes.push(vertex(f.value));
    else if (f.no === 3 && Buffer.isBuffer(f.value)) status.logs.push(log(f.value));
  }
  return status;
}

function vertex(buf: Buffer): BuildkitVertex {
  const v: BuildkitVertex = { digest: '', name: '', cached: false, error: '' };
  for (const f of fields(buf)) {
    if (f.no === 1) v.digest = text(f.value);
    else if (f.no === 3) v.name = text(f.value);
    else if (f.no === 4) v.cached = f.value === 1n;
    else if (f.no === 5 && Buffer.isBuffer(f.value)) v.started = timestamp(f.value);
    else if (f.no === 6 && Buffer.isBuffer(f.value)) v.completed = timestamp(f.value);
    else if (f.no === 7) v.error = text(f.value);
  }
  return v;
}

function log(buf: Buffer): BuildkitLog {
  const l: BuildkitLog = { vertex: '', data: Buffer.alloc(0) };
  for (const f of fields(buf)) {
    if (f.no === 1) l.vertex = text(f.value);
    else if (f.no === 4 && Buffer.isBuffer(f.value)) l.data = f.value;
  }
  return l;
}

function timestamp(buf: Buffer): number {
  let seconds = 0n;
  let nanos = 0n;
  for (const f of fields(buf)) {
    if (f.no === 1 && typeof f.value === 'bigint') seconds = BigInt.asIntN(64, f.value);
    else if (f.no === 2 && typeof f.value === 'bigint') nanos = BigInt.asIntN(32, f.value);
  }
  return Number(seconds) * 1000 + Number(nanos) / 1e6;
}

const text = (value: bigint | Buffer): string => (Buffer.isBuffer(value) ? value.toString('utf8') : '');

interface Field {
  no: number;
  value: bigint | Buffer;
}

/** The fields of one message: varints as bigint, length-delimited as Buffer; fixed-width skipped. */
export function* fields(buf: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buf.length) throw new Error('truncated protobuf varint');
      const byte = buf[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, value: varint() };
    else if (wire === 2) {
      const length = Number(varint());
      if (at + length > buf.length) throw new Error('truncated protobuf field');
      yield { no, value: buf.subarray(at, at + length) };
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}
