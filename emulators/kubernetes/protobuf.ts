// The protobuf bodies kubectl sends for built-in kinds (`kubectl create namespace`, `kubectl
// create configmap`, `kubectl create secret generic`): Content-Type
// application/vnd.kubernetes.protobuf (`kubectl create serviceaccount` too), the 4-byte magic "k8s\0", then a runtime.Unknown
// {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4} whose
// raw bytes are the object in the field numbers of k8s.io/api's generated.proto. Only the kinds
// below are decoded (with the ObjectMeta fields a create sets); anything else is answered 415, as
// before, rather than guessed.

import { ApiError, type Json, type JsonMap } from './types.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = { number: number; wire: number; value: bigint | Buffer };

/** The fields of one protobuf message, in order (varints and length-delimited; fixed ones skipped). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const number = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ number, wire, value: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      if (i + length > buf.length) throw new Error('truncated field');
      out.push({ number, wire, value: buf.subarray(i, i + length) });
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const bytesOf = (f: Field): Buffer => (Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));
const text = (f: Field): string => bytesOf(f).toString('utf8');
/** Go strings are always encoded; an empty one is an unset field (the server then defaults it). */
const set = (o: JsonMap, key: string, f: Field) => {
  const value = text(f);
  if (value !== '') o[key] = value;
};

/** A `map<string, string|bytes>` field: repeated entries {key = 1, value = 2}. */
function mapEntry(f: Field, asBase64: boolean): [string, string] {
  let key = '';
  let value = '';
  for (const e of fields(bytesOf(f))) {
    if (e.number === 1) key = text(e);
    if (e.number === 2) value = asBase64 ? bytesOf(e).toString('base64') : text(e);
  }
  return [key, value];
}

/** ObjectMeta: name 1, generateName 2, namespace 3, labels 11, annotations 12, finalizers 14. */
function objectMeta(buf: Buffer): JsonMap {
  const md: JsonMap = {};
  const labels: JsonMap = {};
  const annotations: JsonMap = {};
  const finalizers: string[] = [];
  for (const f of fields(buf)) {
    if (f.number === 1) set(md, 'name', f);
    else if (f.number === 2) set(md, 'generateName', f);
    else if (f.number === 3) set(md, 'namespace', f);
    else if (f.number === 11) { const [k, v] = mapEntry(f, false); labels[k] = v; }
    else if (f.number === 12) { const [k, v] = mapEntry(f, false); annotations[k] = v; }
    else if (f.number === 14) finalizers.push(text(f));
  }
  if (Object.keys(labels).length > 0) md.labels = labels;
  if (Object.keys(annotations).length > 0) md.annotations = annotations;
  if (finalizers.length > 0) md.finalizers = finalizers;
  return md;
}

/** Per kind: how the fields after metadata (= 1) become JSON. */
const KINDS: Record<string, (object: JsonMap, f: Field) => void> = {
  // NamespaceSpec {finalizers = 1}; status (3) is ignored on create
  'v1/Namespace': (o, f) => {
    if (f.number !== 2) return;
    const finalizers = fields(bytesOf(f)).filter((x) => x.number === 1).map(text);
    o.spec = finalizers.length > 0 ? { finalizers } : {};
  },
  // data = 2 (string), binaryData = 3 (bytes), immutable = 4
  'v1/ConfigMap': (o, f) => {
    if (f.number === 2) { const [k, v] = mapEntry(f, false); o.data = { ...(o.data as JsonMap | undefined), [k]: v }; }
    if (f.number === 3) { const [k, v] = mapEntry(f, true); o.binaryData = { ...(o.binaryData as JsonMap | undefined), [k]: v }; }
    if (f.number === 4) o.immutable = f.value !== 0n;
  },
  // data = 2 (bytes), type = 3, stringData = 4, immutable = 5
  'v1/Secret': (o, f) => {
    if (f.number === 2) { const [k, v] = mapEntry(f, true); o.data = { ...(o.data as JsonMap | undefined), [k]: v }; }
    if (f.number === 3) set(o, 'type', f);
    if (f.number === 4) { const [k, v] = mapEntry(f, false); o.stringData = { ...(o.stringData as JsonMap | undefined), [k]: v }; }
    if (f.number === 5) o.immutable = f.value !== 0n;
  },
  // secrets = 2 (ObjectReference: namespace 2, name 3), imagePullSecrets = 3 (name 1), automountServiceAccountToken = 4
  'v1/ServiceAccount': (o, f) => {
    if (f.number === 2) {
      const ref: JsonMap = {};
      for (const x of fields(bytesOf(f))) {
        if (x.number === 2) set(ref, 'namespace', x);
        if (x.number === 3) set(ref, 'name', x);
      }
      o.secrets = [...((o.secrets as Json[] | undefined) ?? []), ref];
    }
    if (f.number === 3) {
      const ref: JsonMap = {};
      for (const x of fields(bytesOf(f))) if (x.number === 1) set(ref, 'name', x);
      o.imagePullSecrets = [...((o.imagePullSecrets as Json[] | undefined) ?? []), ref];
    }
    if (f.number === 4) o.automountServiceAccountToken = f.value !== 0n;
  },
  // `kubectl auth can-i`: spec = 2 {resourceAttributes = 1 {namespace 1, verb 2, group 3, version 4,
  // resource 5, subresource 6, name 7}, nonResourceAttributes = 2 {path 1, verb 2}}
  'authorization.k8s.io/v1/SelfSubjectAccessReview': (o, f) => {
    if (f.number !== 2) return;
    const spec: JsonMap = {};
    for (const a of fields(bytesOf(f))) {
      const names = a.number === 1 ? ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] : a.number === 2 ? ['path', 'verb'] : [];
      const attributes: JsonMap = {};
      for (const x of fields(bytesOf(a))) if (names[x.number - 1]) set(attributes, names[x.number - 1] ?? '', x);
      if (names.length > 0) spec[a.number === 1 ? 'resourceAttributes' : 'nonResourceAttributes'] = attributes;
    }
    o.spec = spec;
  },
};

export function decodeProtobuf(body: Buffer): Json {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new ApiError(400, 'BadRequest', 'provided object is not a protobuf message (no "k8s\\x00" prefix)');
  try {
    let apiVersion = '';
    let kind = '';
    let raw: Buffer = Buffer.alloc(0);
    for (const f of fields(body.subarray(4))) {
      if (f.number === 1) {
        for (const t of fields(bytesOf(f))) {
          if (t.number === 1) apiVersion = text(t);
          if (t.number === 2) kind = text(t);
        }
      } else if (f.number === 2) raw = bytesOf(f);
    }
    const decode = KINDS[`${apiVersion}/${kind}`];
    if (!decode) {
      throw new ApiError(415, 'UnsupportedMediaType', `the emulator decodes protobuf only for ${Object.keys(KINDS).join(', ')} (got ${apiVersion}/${kind}); send JSON`);
    }
    const object: JsonMap = { apiVersion, kind };
    for (const f of fields(raw)) {
      if (f.number === 1) object.metadata = objectMeta(bytesOf(f));
      else decode(object, f);
    }
    return object;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(400, 'BadRequest', `cannot decode the protobuf body: ${(error as Error).message}`);
  }
}
