// Just enough WASI preview1 to run a command-line program once, with files in memory.
//
// Why not node:wasi: running many WASI instances of the same precompiled module (flite) crashes
// Node 20 with SIGSEGV every few runs (nodejs/node#52402; reproduced here on 20.20 with and
// without worker threads). This shim implements the 13 imports flite uses, in plain JS: argv,
// a preopened "." directory whose files live in a Map, stdout/stderr capture, clock, exit.

const ERRNO = { SUCCESS: 0, BADF: 8, INVAL: 28, NOENT: 44, NOSYS: 52, SPIPE: 70 };
const FILETYPE = { CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4 };
const OFLAGS_CREAT = 1;
const OFLAGS_TRUNC = 8;
const PREOPEN_FD = 3;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Exit {
  constructor(code) {
    this.code = code;
  }
}

class MemFile {
  constructor() {
    this.bytes = new Uint8Array(64 * 1024);
    this.size = 0;
  }
  write(src, at) {
    const end = at + src.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.size));
      this.bytes = grown;
    }
    this.bytes.set(src, at);
    this.size = Math.max(this.size, end);
  }
  contents() {
    return this.bytes.slice(0, this.size);
  }
}

/**
 * Runs `_start` of a fresh instance of `module` with `args` (argv[0] included).
 * Returns `{ exitCode, files: Map<name, Uint8Array>, stderr: string, memoryBytes: number }`; files are what
 * the program created in its working directory, memoryBytes the size its WebAssembly memory grew to.
 */
export async function runWasiCommand(module, args) {
  const files = new Map(); // name -> MemFile
  const fds = new Map(); // fd -> { file, pos }
  let nextFd = PREOPEN_FD + 1;
  let stderr = '';
  let memory;
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  const argBytes = args.map((a) => encoder.encode(`${a}\0`));

  const wasi = {
    args_sizes_get(argcPtr, sizePtr) {
      view().setUint32(argcPtr, argBytes.length, true);
      view().setUint32(sizePtr, argBytes.reduce((n, a) => n + a.length, 0), true);
      return ERRNO.SUCCESS;
    },
    args_get(argvPtr, bufPtr) {
      let at = bufPtr;
      argBytes.forEach((a, i) => {
        view().setUint32(argvPtr + 4 * i, at, true);
        bytes().set(a, at);
        at += a.length;
      });
      return ERRNO.SUCCESS;
    },
    clock_time_get(_id, _precision, timePtr) {
      view().setBigUint64(timePtr, BigInt(Date.now()) * 1_000_000n, true);
      return ERRNO.SUCCESS;
    },
    fd_prestat_get(fd, bufPtr) {
      if (fd !== PREOPEN_FD) return ERRNO.BADF;
      view().setUint8(bufPtr, 0); // preopen type: directory
      view().setUint32(bufPtr + 4, 1, true); // name length of "."
      return ERRNO.SUCCESS;
    },
    fd_prestat_dir_name(fd, pathPtr, len) {
      if (fd !== PREOPEN_FD) return ERRNO.BADF;
      if (len >= 1) bytes()[pathPtr] = 0x2e; // "."
      return ERRNO.SUCCESS;
    },
    fd_fdstat_get(fd, statPtr) {
      const type = fd <= 2 ? FILETYPE.CHARACTER_DEVICE : fd === PREOPEN_FD ? FILETYPE.DIRECTORY : fds.has(fd) ? FILETYPE.REGULAR_FILE : 0;
      if (!type) return ERRNO.BADF;
      const v = view();
      v.setUint8(statPtr, type);
      v.setUint16(statPtr + 2, 0, true);
      v.setBigUint64(statPtr + 8, 0xffffffffffffffffn, true); // rights base
      v.setBigUint64(statPtr + 16, 0xffffffffffffffffn, true); // rights inheriting
      return ERRNO.SUCCESS;
    },
    fd_fdstat_set_flags() {
      return ERRNO.SUCCESS;
    },
    path_open(dirFd, _dirFlags, pathPtr, pathLen, oflags, _rightsBase, _rightsInheriting, _fdFlags, fdPtr) {
      if (dirFd !== PREOPEN_FD) return ERRNO.BADF;
      const name = decoder.decode(bytes().subarray(pathPtr, pathPtr + pathLen));
      let file = files.get(name);
      if (!file) {
        if (!(oflags & OFLAGS_CREAT)) return ERRNO.NOENT;
        file = new MemFile();
        files.set(name, file);
      } else if (oflags & OFLAGS_TRUNC) file.size = 0;
      const fd = nextFd++;
      fds.set(fd, { file, pos: 0 });
      view().setUint32(fdPtr, fd, true);
      return ERRNO.SUCCESS;
    },
    fd_close(fd) {
      return fds.delete(fd) || fd <= PREOPEN_FD ? ERRNO.SUCCESS : ERRNO.BADF;
    },
    fd_write(fd, iovsPtr, iovsLen, writtenPtr) {
      const open = fds.get(fd);
      if (!open && fd !== 1 && fd !== 2) return ERRNO.BADF;
      const v = view();
      let written = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = v.getUint32(iovsPtr + 8 * i, true);
        const len = v.getUint32(iovsPtr + 8 * i + 4, true);
        const chunk = bytes().subarray(ptr, ptr + len);
        if (open) {
          open.file.write(chunk, open.pos);
          open.pos += len;
        } else if (fd === 2) stderr += decoder.decode(chunk);
        written += len;
      }
      v.setUint32(writtenPtr, written, true);
      return ERRNO.SUCCESS;
    },
    fd_read(fd, iovsPtr, iovsLen, readPtr) {
      const open = fds.get(fd);
      const v = view();
      let read = 0;
      if (open) {
        for (let i = 0; i < iovsLen; i++) {
          const ptr = v.getUint32(iovsPtr + 8 * i, true);
          const len = v.getUint32(iovsPtr + 8 * i + 4, true);
          const chunk = open.file.bytes.subarray(open.pos, Math.min(open.file.size, open.pos + len));
          bytes().set(chunk, ptr);
          open.pos += chunk.length;
          read += chunk.length;
          if (chunk.length < len) break;
        }
      } else if (fd !== 0) return ERRNO.BADF;
      v.setUint32(readPtr, read, true);
      return ERRNO.SUCCESS;
    },
    fd_seek(fd, offset, whence, newOffsetPtr) {
      const open = fds.get(fd);
      if (!open) return fd <= 2 ? ERRNO.SPIPE : ERRNO.BADF;
      const base = whence === 0 ? 0 : whence === 1 ? open.pos : whence === 2 ? open.file.size : -1;
      const pos = base + Number(offset);
      if (base < 0 || pos < 0) return ERRNO.INVAL;
      open.pos = pos;
      view().setBigUint64(newOffsetPtr, BigInt(pos), true);
      return ERRNO.SUCCESS;
    },
    proc_exit(code) {
      throw new Exit(code);
    },
  };
  // Anything else the program imports fails visibly rather than at link time.
  const imports = new Proxy(wasi, { get: (target, name) => target[name] ?? (() => ERRNO.NOSYS) });

  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: imports });
  memory = instance.exports.memory;
  let exitCode = 0;
  try {
    instance.exports._start();
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    exitCode = err.code;
  }
  const out = new Map();
  for (const [name, file] of files) out.set(name, file.contents());
  return { exitCode, files: out, stderr, memoryBytes: memory.buffer.byteLength };
}
