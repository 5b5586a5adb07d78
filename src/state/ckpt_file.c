/* The checkpoint file envelope: atomic, durable writes and checked reads. */
#include "state/ckpt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/err.h"
#include "core/fsio.h"
#include "core/mem.h"

static const char ckpt_magic[8] = {'E', 'D', 'D', 'Y', 'C', 'K', 'P', 'T'};

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* fsync of the directory holding `path`, so the rename itself is durable. */
static int sync_parent(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    return fsio_fsync_dir(dirname(buf));
}

int ckpt_write(const char *path, ckpt_kind kind, const void *data, size_t len, eddy_error *err)
{
    char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(base, sizeof base, "%s", path);
    int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dirname(dir), basename(base));
    if (n < 0 || (size_t)n >= sizeof tmp)
        return err_set(err, EDDY_IO, "checkpoint path too long: '%s'", path);

    uint8_t hdr[CKPT_HEADER_BYTES] = {0};
    memcpy(hdr, ckpt_magic, 8);
    put_u16(hdr + 8, CKPT_FORMAT);
    put_u16(hdr + 10, (uint16_t)kind);
    put_u64(hdr + 16, (uint64_t)len);
    put_u64(hdr + 24, XXH64(data, len, 0));

    const char *step = "create";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto fail;
    step = "write";
    if (fsio_write_all(fd, hdr, sizeof hdr) != 0 || fsio_write_all(fd, data, len) != 0)
        goto fail;
    step = "fsync";
    if (fsio_fsync(fd) != 0)
        goto fail;
    step = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    step = "rename";
    if (fsio_rename(tmp, path) != 0)
        goto fail;
    step = "fsync the directory of";
    if (sync_parent(path) != 0)
        return err_set(err, EDDY_IO, "checkpoint: cannot %s '%s': %s", step, path, strerror(errno));
    return 0;

fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    if (strcmp(step, "rename") == 0)
        return err_set(err, EDDY_IO, "checkpoint: cannot rename '%s' to '%s': %s", tmp, path,
                       strerror(e));
    return err_set(err, EDDY_IO, "checkpoint: cannot %s '%s': %s", step, tmp, strerror(e));
}

int ckpt_parse(const char *path, const uint8_t *buf, size_t n, ckpt_kind kind,
               const uint8_t **payload, size_t *plen, eddy_error *err)
{
    if (n < CKPT_HEADER_BYTES)
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': %zu bytes, too short for the %d-byte header "
                       "(torn write?)",
                       path, n, CKPT_HEADER_BYTES);
    if (memcmp(buf, ckpt_magic, 8) != 0)
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': not an eddy checkpoint file (bad magic)",
                       path);
    unsigned format = get_u16(buf + 8);
    if (format != CKPT_FORMAT)
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': format version %u; this eddy reads "
                       "version %d",
                       path, format, CKPT_FORMAT);
    unsigned k = get_u16(buf + 10);
    if (k != (unsigned)kind)
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': holds kind %u where kind %d was expected",
                       path, k, (int)kind);
    uint64_t len = get_u64(buf + 16);
    if (len != n - CKPT_HEADER_BYTES)
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': header says %llu payload bytes, the file "
                       "has %zu (truncated or torn)",
                       path, (unsigned long long)len, n - CKPT_HEADER_BYTES);
    uint64_t want = get_u64(buf + 24);
    uint64_t got = XXH64(buf + CKPT_HEADER_BYTES, (size_t)len, 0);
    if (want != got)
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': checksum mismatch (stored %016llx, "
                       "computed %016llx)",
                       path, (unsigned long long)want, (unsigned long long)got);
    *payload = buf + CKPT_HEADER_BYTES;
    *plen = (size_t)len;
    return 0;
}

int ckpt_read(const char *path, ckpt_kind kind, uint8_t **data, size_t *len, eddy_error *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return err_set(err, EDDY_IO, "checkpoint file '%s' does not exist", path);
        return err_set(err, EDDY_IO, "cannot open checkpoint file '%s': %s", path,
                       strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, EDDY_IO, "cannot stat checkpoint file '%s': %s", path, strerror(e));
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = xmalloc(n ? n : 1);
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    const uint8_t *payload;
    size_t plen;
    int rc = ckpt_parse(path, buf, got, kind, &payload, &plen, err);
    if (rc) {
        free(buf);
        return rc;
    }
    uint8_t *out = xmalloc(plen + 1);
    memcpy(out, payload, plen);
    out[plen] = 0;
    free(buf);
    *data = out;
    *len = plen;
    return 0;
}
