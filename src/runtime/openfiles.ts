// Files a pod's processes deleted but still hold open (docs/tencent/system-disk.md):
// their blocks stay used until the last descriptor closes, which is the FAQ's
// second cause of a full disk ("业务持有已删除的文件描述符，导致磁盘空间未释放。
// 您可以通过 lsof 命令确认"). Found as `lsof` finds them: the /proc/PID/fd links
// of the pod's process trees whose target reads "… (deleted)"; each file is
// counted once by device and inode, however many descriptors hold it.
import fs from 'node:fs';
import { processTable, treeOf, type ProcEntry } from './portguard.js';

/** Targets that are memory, not disk, though Linux also marks them deleted. */
const IN_MEMORY = /^(\/memfd:|\/dev\/shm\/|\/SYSV|anon_inode:)/;

/**
 * Bytes of the regular files deleted but held open by `roots` (main processes)
 * and their trees. 0 where /proc is missing. `table` may be shared by callers
 * measuring several pods in one go.
 */
export function deletedOpenBytes(roots: number[], table?: ProcEntry[]): number {
  if (!roots.length || !fs.existsSync('/proc/self/fd')) return 0;
  const procs = table ?? processTable();
  const pids = new Set(roots.flatMap((r) => treeOf(r, procs)));
  const seen = new Set<string>();
  let total = 0;
  for (const pid of pids) {
    let fds: string[];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      const link = `/proc/${pid}/fd/${fd}`;
      let target: string;
      try { target = fs.readlinkSync(link); } catch { continue; }
      if (!target.endsWith(' (deleted)') || IN_MEMORY.test(target)) continue;
      let st: fs.Stats;
      // stat through the fd link reaches the file itself, deleted or not.
      try { st = fs.statSync(link); } catch { continue; }
      if (!st.isFile()) continue;
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
      total += st.size;
    }
  }
  return total;
}
