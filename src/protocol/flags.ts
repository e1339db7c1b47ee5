/** Frame flag bits (one byte on the wire), as in Go qrpc's FrameFlag. */
export const Flags = {
  Stream: 1,
  StreamEnd: 2,
  StreamRst: 4,
  NB: 8,
  Push: 16,
  Codec: 32,
} as const;

export type FlagBits = number;

const ALL_FLAGS = 0x3f;

export function isStream(flags: FlagBits): boolean {
  return (flags & (Flags.Stream | Flags.StreamEnd)) !== 0;
}

/** Stream frames are always non-blocking; otherwise the NB bit decides. */
export function isNonBlock(flags: FlagBits): boolean {
  return (flags & (Flags.Stream | Flags.StreamEnd | Flags.NB)) !== 0;
}

/** True when no more frames of this ID will come from the sender. */
export function isDone(flags: FlagBits): boolean {
  return (flags & (Flags.Stream | Flags.StreamEnd)) === 0 || (flags & (Flags.StreamEnd | Flags.StreamRst)) !== 0;
}

export function isPush(flags: FlagBits): boolean {
  return (flags & Flags.Push) !== 0;
}

export function isReset(flags: FlagBits): boolean {
  return (flags & Flags.StreamRst) !== 0;
}

export function isCodec(flags: FlagBits): boolean {
  return (flags & Flags.Codec) !== 0;
}

export function flagNames(flags: FlagBits): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(Flags)) if (flags & bit) names.push(name);
  if (flags & ~ALL_FLAGS & 0xff) names.push(`0x${(flags & ~ALL_FLAGS & 0xff).toString(16)}`);
  return names;
}
