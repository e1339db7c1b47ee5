import type { Frame } from '../protocol/frame.js';

export type FrameKind = 'request' | 'response' | 'push';

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** Go qrpcurl's layout (plus the request id), or one JSON object per line with the id as a string (a uint64 does not fit a JSON number). */
export function formatFrame(kind: FrameKind, frame: Frame, json: boolean): string {
  if (json) {
    const utf8 = isUtf8(frame.payload);
    return `${JSON.stringify({
      type: kind,
      requestId: frame.requestId.toString(),
      flags: frame.flags,
      cmd: frame.cmd,
      payload: frame.payload.toString(utf8 ? 'utf8' : 'base64'),
      encoding: utf8 ? 'utf8' : 'base64',
    })}\n`;
  }
  return `[${kind}]\nrequestId: ${frame.requestId}\nflag: ${frame.flags}\ncmd: ${frame.cmd}\npayload:\n${frame.payload.toString('utf8')}\n\n`;
}
