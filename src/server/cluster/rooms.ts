import type { ConnectionInfo } from '../connection-info.js';

const NO_MEMBERS: ReadonlySet<ConnectionInfo> = new Set();

/** Room membership of this process: per binding, room → members, and per connection its rooms (to drop them on close). */
export class RoomRegistry {
  private readonly byBinding = new Map<number, Map<string, Set<ConnectionInfo>>>();
  private readonly byConnection = new Map<ConnectionInfo, Set<string>>();

  /** Returns false when `conn` already was a member. */
  join(conn: ConnectionInfo, room: string): boolean {
    let rooms = this.byBinding.get(conn.bindingIndex);
    if (rooms === undefined) this.byBinding.set(conn.bindingIndex, (rooms = new Map()));
    let members = rooms.get(room);
    if (members === undefined) rooms.set(room, (members = new Set()));
    if (members.has(conn)) return false;
    members.add(conn);
    let joined = this.byConnection.get(conn);
    if (joined === undefined) this.byConnection.set(conn, (joined = new Set()));
    joined.add(room);
    return true;
  }

  /** Returns false when `conn` was not a member. */
  leave(conn: ConnectionInfo, room: string): boolean {
    const joined = this.byConnection.get(conn);
    if (joined === undefined || !joined.delete(room)) return false;
    if (joined.size === 0) this.byConnection.delete(conn);
    this.removeMember(conn, room);
    return true;
  }

  /** A closed connection leaves every room it was in. */
  dropAll(conn: ConnectionInfo): void {
    const joined = this.byConnection.get(conn);
    if (joined === undefined) return;
    this.byConnection.delete(conn);
    for (const room of joined) this.removeMember(conn, room);
  }

  members(bindingIndex: number, room: string): ReadonlySet<ConnectionInfo> {
    return this.byBinding.get(bindingIndex)?.get(room) ?? NO_MEMBERS;
  }

  roomsOf(conn: ConnectionInfo): string[] {
    return [...(this.byConnection.get(conn) ?? [])];
  }

  private removeMember(conn: ConnectionInfo, room: string): void {
    const rooms = this.byBinding.get(conn.bindingIndex);
    const members = rooms?.get(room);
    if (rooms === undefined || members === undefined) return;
    members.delete(conn);
    // Empty rooms go, so room names that come and go do not pile up.
    if (members.size === 0) rooms.delete(room);
  }
}
