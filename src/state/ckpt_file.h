/* Checkpoint files: the one on-disk envelope every checkpoint file (offset
 * log, commit log, metadata, state snapshots and deltas) is written in, so
 * that a torn, truncated or corrupted file is detected and reported, never
 * used (SPEC §6).
 *
 * Layout (little-endian), 32 bytes of header then the payload:
 *   0  "EDDYCKPT"   magic, 8 bytes
 *   8  u16 format   envelope format version (CKPT_FORMAT)
 *  10  u16 kind     what the payload is (ckpt_kind), checked on read
 *  12  u32 zero     reserved
 *  16  u64 length   payload bytes
 *  24  u64 hash     XXH64 (seed 0) of the payload
 *
 * Writes follow the usual crash-safe sequence (Spark's
 * CheckpointFileManager.createAtomic on a local file system): write to a
 * hidden temporary name in the same directory, fsync it, rename it over the
 * final name, fsync the directory. A reader therefore sees the old file,
 * the new file, or none, and the checksum catches what the disk lost. */
#ifndef STATE_CKPT_FILE_H
#define STATE_CKPT_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "eddy.h"

#define CKPT_FORMAT 1
#define CKPT_HEADER_BYTES 32

/* Payload kinds; a file read as the wrong kind is corrupt. */
typedef enum ckpt_kind {
    CKPT_METADATA = 1, /* the query id */
    CKPT_OFFSETS = 2,  /* offsets/N: source offsets, watermark, batch time */
    CKPT_COMMIT = 3,   /* commits/N */
    CKPT_SOURCE = 4,   /* sources/<i>/...: a source's own log */
    CKPT_STATE = 5,    /* state/<operator>/...: snapshots and deltas */
    CKPT_SINK = 6,     /* sinks/<i>/...: a sink's own log (the Kafka sink's
                          last transaction) */
} ckpt_kind;

/* Writes `len` bytes of payload as `path`, atomically and durably (see
 * above). The temporary file is `.<name>.tmp` beside it and is removed on
 * failure. Returns 0, or -EDDY_IO with err naming the path and the failed
 * step (open, write, fsync, rename) and strerror. */
int ckpt_write(const char *path, ckpt_kind kind, const void *data, size_t len, eddy_error *err);

/* Checks an envelope held in memory (`n` bytes read from `path`, which is
 * only used in messages) and points *payload / *plen at its payload inside
 * buf. Returns 0, or -EDDY_CORRUPT with err saying which check failed: too
 * short for a header, bad magic, an unknown format version, the wrong kind,
 * a length that disagrees with the file size (torn or truncated), or a
 * checksum mismatch. Never reads outside buf[0, n). */
int ckpt_parse(const char *path, const uint8_t *buf, size_t n, ckpt_kind kind,
               const uint8_t **payload, size_t *plen, eddy_error *err);

/* Reads and checks `path`. On success *data is a malloc'd copy of the
 * payload (NUL-terminated one byte past *len, for text payloads) owned by
 * the caller. Returns 0, -EDDY_IO when the file cannot be opened or read
 * (errno ENOENT is reported as "does not exist"), or -EDDY_CORRUPT as
 * ckpt_parse. */
int ckpt_read(const char *path, ckpt_kind kind, uint8_t **data, size_t *len, eddy_error *err);

#endif
