/**
 * Concurrency groups, shared by every run of a runner double (GitHub: "Control the concurrency of
 * workflows and jobs"; changelog 2026-05-07 for `queue: max`). A group holds one running entry (a
 * run, a called workflow or a job) and pending ones:
 *   - by default one pending: a newer pending entry replaces (cancels) the older one;
 *   - `queue: max`: up to 100 pending, first in first out; a newcomer beyond that is cancelled;
 *   - `cancel-in-progress: true`: a newcomer cancels the running entry (and any pending one).
 * `queue: max` with `cancel-in-progress: true` is refused, as GitHub refuses it.
 */

export const MAX_QUEUE = 100;

export interface ConcurrencySetting {
  group: string;
  cancelInProgress: boolean;
  queue: 'single' | 'max';
}

export interface GroupHolder {
  label: string;
  /** Cancel the running holder (cancel-in-progress). */
  cancel(reason: string): void;
}

interface Entry {
  holder: GroupHolder;
  admit: (admitted: boolean, reason?: string) => void;
}

interface Group {
  running: Entry | undefined;
  pending: Entry[];
}

export type Admission = { admitted: true; release: () => void } | { admitted: false; reason: string; invalid?: true };

export class ConcurrencyGroups {
  readonly #groups = new Map<string, Group>();

  /** Names of the running and pending holders of a group, for assertions. */
  state(group: string): { running?: string; pending: string[] } {
    const found = this.#groups.get(group);
    return { ...(found?.running ? { running: found.running.holder.label } : {}), pending: found?.pending.map((entry) => entry.holder.label) ?? [] };
  }

  /**
   * Waits for the group. `abort` (the holder's run cancelled while pending) takes the entry out of
   * the queue. `onWait` is told when the entry has to wait.
   */
  acquire(setting: ConcurrencySetting, holder: GroupHolder, abort: Promise<unknown>, onWait: () => void): Promise<Admission> {
    if (setting.queue === 'max' && setting.cancelInProgress) {
      return Promise.resolve({ admitted: false, invalid: true, reason: `concurrency group ${setting.group}: queue: max cannot be combined with cancel-in-progress: true` });
    }
    let group = this.#groups.get(setting.group);
    if (!group) {
      group = { running: undefined, pending: [] };
      this.#groups.set(setting.group, group);
    }
    const current = group;
    return new Promise<Admission>((resolve) => {
      const release = () => {
        if (current.running !== entry) return;
        current.running = undefined;
        const next = current.pending.shift();
        if (next) {
          current.running = next;
          next.admit(true);
        } else {
          this.#groups.delete(setting.group);
        }
      };
      const entry: Entry = {
        holder,
        admit: (admitted, reason) => resolve(admitted ? { admitted: true, release } : { admitted: false, reason: reason ?? 'cancelled' }),
      };
      if (setting.cancelInProgress) {
        for (const waiting of current.pending.splice(0)) waiting.admit(false, `cancelled: a newer run joined concurrency group ${setting.group} with cancel-in-progress`);
        current.running?.holder.cancel(`cancelled by a newer run in concurrency group ${setting.group} (cancel-in-progress)`);
      }
      if (!current.running) {
        current.running = entry;
        entry.admit(true);
        return;
      }
      if (setting.queue === 'max') {
        if (current.pending.length >= MAX_QUEUE) {
          entry.admit(false, `cancelled: concurrency group ${setting.group} already has ${MAX_QUEUE} pending runs`);
          return;
        }
      } else {
        for (const replaced of current.pending.splice(0)) replaced.admit(false, `cancelled: a newer run is now the pending one in concurrency group ${setting.group}`);
      }
      current.pending.push(entry);
      onWait();
      void abort.then(() => {
        const index = current.pending.indexOf(entry);
        if (index < 0) return;
        current.pending.splice(index, 1);
        entry.admit(false, 'cancelled while waiting for its concurrency group');
      });
    });
  }
}
