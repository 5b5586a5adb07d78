/* The web UI's files, compiled into the binary (cmake/embed.cmake builds
 * the table from web/ and Chart.js's UMD bundle at build time). */
#ifndef SERVER_ASSETS_H
#define SERVER_ASSETS_H

#include <stddef.h>

typedef struct eddy_asset {
    const char *route;         /* URL path, e.g. "/app.js" */
    const char *content_type;  /* e.g. "text/javascript; charset=utf-8" */
    const unsigned char *data; /* the file's bytes (NUL appended, not counted) */
    size_t len;                /* bytes */
} eddy_asset;

extern const eddy_asset eddy_assets[];
extern const int eddy_nassets;

#endif
