// The supervised processes of a Supervisor, as the tracer's events describe them:
// which are alive, which spawned child's tree each belongs to, how many are
// left in each tree, and the thread group of every thread seen.
import fs from 'node:fs';
import type { SupervisedChild } from './child.js';

export class ProcessTree {
  /** The spawned children, by pid, until they have exited. */
  readonly roots = new Map<number, SupervisedChild>();
  /** Every live supervised process (thread group), roots included. */
  readonly processes = new Set<number>();
  private readonly tgids = new Map<number, number>();
  /** Which spawned child's tree a process belongs to (for per-child 'syscall' events). */
  private readonly rootOf = new Map<number, number>();
  /** Live processes per spawned tree (by root pid). */
  private readonly treeSize = new Map<number, number>();
  /**
   * Each spawned child, by root pid, while anything of its tree lives: the
   * calls of descendants that outlive the child still belong to it.
   */
  private readonly owners = new Map<number, SupervisedChild>();

  addRoot(pid: number, child: SupervisedChild): void {
    this.treeSize.set(pid, 1);
    child.exited.then(() => {}, () => {}).finally(() => this.roots.delete(pid));
    this.roots.set(pid, child);
    this.owners.set(pid, child);
    this.processes.add(pid);
    this.tgids.set(pid, pid);
  }

  /** A new process (kNewProcess) in its parent's tree. */
  addProcess(pid: number, parent: number): void {
    const root = this.rootOf.get(parent) ?? parent;
    this.rootOf.set(pid, root);
    const n = this.treeSize.get(root);
    if (n !== undefined) this.treeSize.set(root, n + 1);
    this.processes.add(pid);
    this.tgids.set(pid, pid);
  }

  /** Every spawned child whose tree still has a live process. */
  liveTrees(): IterableIterator<SupervisedChild> {
    return this.owners.values();
  }

  /** The spawned child whose tree pid is in. */
  childOf(pid: number): SupervisedChild | undefined {
    return this.owners.get(this.rootOf.get(pid) ?? pid);
  }

  /** pid exited; returns the root of its tree when that tree is now empty. */
  exit(pid: number): number | undefined {
    this.processes.delete(pid);
    const root = this.rootOf.get(pid) ?? pid;
    if (!this.roots.has(pid)) this.rootOf.delete(pid);
    for (const [tid, tgid] of this.tgids) if (tgid === pid) this.tgids.delete(tid);
    const n = this.treeSize.get(root);
    if (n === undefined) return undefined;
    if (n > 1) {
      this.treeSize.set(root, n - 1);
      return undefined;
    }
    this.treeSize.delete(root);
    this.owners.delete(root);
    return root;
  }

  /** A spawned child that never ran (its exec failed): its tree is gone. */
  spawnFailed(pid: number): void {
    this.processes.delete(pid);
    this.treeSize.delete(pid);
    this.owners.delete(pid);
  }

  /** Thread group of a tid: known from the tracer's events, else /proc (a thread's first call can beat its clone event). */
  tgidOf(tid: number): number {
    let tgid = this.tgids.get(tid);
    if (tgid === undefined) {
      try {
        const m = /\nTgid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${tid}/status`, 'latin1'));
        tgid = m ? Number(m[1]) : tid;
      } catch {
        tgid = tid;
      }
      this.tgids.set(tid, tgid);
    }
    return tgid;
  }

  /** The thread group of tid if known (no /proc read). */
  knownTgid(tid: number): number | undefined {
    return this.tgids.get(tid);
  }
}
