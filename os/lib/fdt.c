#include "lib/fdt.h"
#include "lib/string.h"

#define TOKEN_BEGIN_NODE 1
#define TOKEN_END_NODE   2
#define TOKEN_PROP       3
#define TOKEN_NOP        4
#define TOKEN_END        9

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint32_t fdt_peek_total_size(const void *blob)
{
    return be32((const uint8_t *)blob + 4);
}

int fdt_open(struct fdt *fdt, const void *blob, size_t max_size)
{
    const uint8_t *b = blob;
    if (max_size < 40)
        return FDT_ERR_BADHEADER;
    if (be32(b) != FDT_MAGIC)
        return FDT_ERR_BADMAGIC;
    uint32_t total = be32(b + 4);
    uint32_t off_struct = be32(b + 8), off_strings = be32(b + 12);
    uint32_t off_rsvmap = be32(b + 16), version = be32(b + 20);
    uint32_t last_comp = be32(b + 24);
    uint32_t size_strings = be32(b + 32), size_struct = be32(b + 36);
    if (version < 16 || last_comp > 17)
        return FDT_ERR_BADVERSION;
    if (total > max_size || total < 40)
        return FDT_ERR_BADHEADER;
    /* Each block must lie inside the blob; compare without overflow. */
    if (off_struct > total || size_struct > total - off_struct ||
        off_strings > total || size_strings > total - off_strings ||
        off_rsvmap > total || (off_struct & 3) || (size_struct & 3) ||
        (off_rsvmap & 7))
        return FDT_ERR_BADHEADER;
    fdt->blob = b;
    fdt->total_size = total;
    fdt->struct_off = off_struct;
    fdt->struct_size = size_struct;
    fdt->strings_off = off_strings;
    fdt->strings_size = size_strings;
    fdt->rsvmap_off = off_rsvmap;
    return 0;
}

const char *fdt_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case FDT_ERR_NOTFOUND: return "not found";
    case FDT_ERR_BADMAGIC: return "bad magic";
    case FDT_ERR_BADHEADER: return "header offsets or sizes outside the blob";
    case FDT_ERR_BADVERSION: return "unsupported version";
    case FDT_ERR_BADSTRUCT: return "malformed structure block";
    default: return "unknown error";
    }
}

/* Token at structure offset `off`, or -1 if out of bounds. */
static int64_t token_at(const struct fdt *fdt, uint32_t off)
{
    if (off > fdt->struct_size || fdt->struct_size - off < 4)
        return -1;
    return be32(fdt->blob + fdt->struct_off + off);
}

static const char *struct_ptr(const struct fdt *fdt, uint32_t off)
{
    return (const char *)fdt->blob + fdt->struct_off + off;
}

/* Length of a NUL-terminated string at structure offset `off`, or -1 if it
 * runs past the block. */
static int64_t struct_strlen(const struct fdt *fdt, uint32_t off)
{
    if (off >= fdt->struct_size)
        return -1;
    size_t max = fdt->struct_size - off;
    size_t n = strnlen(struct_ptr(fdt, off), max);
    return n == max ? -1 : (int64_t)n;
}

static uint32_t align4(uint32_t x) { return (x + 3) & ~3u; }

/* Offset just past a BEGIN_NODE token and its name, or an error. */
static int64_t after_name(const struct fdt *fdt, int node)
{
    if (node < 0 || token_at(fdt, (uint32_t)node) != TOKEN_BEGIN_NODE)
        return FDT_ERR_BADSTRUCT;
    int64_t len = struct_strlen(fdt, (uint32_t)node + 4);
    if (len < 0)
        return FDT_ERR_BADSTRUCT;
    return align4((uint32_t)node + 4 + (uint32_t)len + 1);
}

/* Offset past a PROP token's header and value, or an error.  Fills the
 * value's offset, length and name offset if asked. */
static int64_t skip_prop(const struct fdt *fdt, uint32_t off, uint32_t *val_off,
                         uint32_t *val_len, uint32_t *name_off)
{
    if (token_at(fdt, off) != TOKEN_PROP || token_at(fdt, off + 4) < 0 ||
        token_at(fdt, off + 8) < 0)
        return FDT_ERR_BADSTRUCT;
    uint32_t len = (uint32_t)token_at(fdt, off + 4);
    uint32_t value = off + 12;
    if (len > fdt->struct_size - value)
        return FDT_ERR_BADSTRUCT;
    if (val_off) *val_off = value;
    if (val_len) *val_len = len;
    if (name_off) *name_off = (uint32_t)token_at(fdt, off + 8);
    return align4(value + len);
}

/* Offset of the first token after the node's properties (a child's
 * BEGIN_NODE or the node's END_NODE). */
static int64_t after_props(const struct fdt *fdt, int node)
{
    int64_t off = after_name(fdt, node);
    while (off >= 0) {
        int64_t tok = token_at(fdt, (uint32_t)off);
        if (tok == TOKEN_PROP)
            off = skip_prop(fdt, (uint32_t)off, NULL, NULL, NULL);
        else if (tok == TOKEN_NOP)
            off += 4;
        else if (tok == TOKEN_BEGIN_NODE || tok == TOKEN_END_NODE)
            return off;
        else
            return FDT_ERR_BADSTRUCT;
    }
    return off;
}

/* Offset just past the node's END_NODE.  Iterative, so a deep (hostile) tree
 * cannot overflow the stack; every step moves forward, so it terminates. */
static int64_t skip_node(const struct fdt *fdt, int node)
{
    if (node < 0)
        return FDT_ERR_BADSTRUCT;
    int depth = 0;
    int64_t off = node;
    while (off >= 0) {
        int64_t tok = token_at(fdt, (uint32_t)off);
        if (tok == TOKEN_BEGIN_NODE) {
            depth++;
            off = after_name(fdt, (int)off);
        } else if (tok == TOKEN_END_NODE) {
            off += 4;
            if (--depth == 0)
                return off;
        } else if (tok == TOKEN_PROP) {
            off = skip_prop(fdt, (uint32_t)off, NULL, NULL, NULL);
        } else if (tok == TOKEN_NOP) {
            off += 4;
        } else {
            return FDT_ERR_BADSTRUCT;
        }
    }
    return off;
}

/* Skips NOPs; returns the offset if it holds a BEGIN_NODE, else NOTFOUND
 * (END_NODE) or an error. */
static int node_at_or_after(const struct fdt *fdt, int64_t off)
{
    while (off >= 0) {
        int64_t tok = token_at(fdt, (uint32_t)off);
        if (tok == TOKEN_NOP) {
            off += 4;
            continue;
        }
        if (tok == TOKEN_BEGIN_NODE)
            return off > INT32_MAX ? FDT_ERR_BADSTRUCT : (int)off;
        if (tok == TOKEN_END_NODE || tok == TOKEN_END)
            return FDT_ERR_NOTFOUND;
        return FDT_ERR_BADSTRUCT;
    }
    return (int)off;
}

int fdt_root(const struct fdt *fdt)
{
    return node_at_or_after(fdt, 0);
}

int fdt_first_child(const struct fdt *fdt, int node)
{
    return node_at_or_after(fdt, after_props(fdt, node));
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
    return node_at_or_after(fdt, skip_node(fdt, node));
}

const char *fdt_name(const struct fdt *fdt, int node)
{
    if (after_name(fdt, node) < 0)
        return NULL;
    return struct_ptr(fdt, (uint32_t)node + 4);
}

static bool has_unit_address(const char *comp, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (comp[i] == '@')
            return true;
    return false;
}

/* Does node name `name` match path component [comp, comp+len)? */
static bool name_matches(const char *name, const char *comp, size_t len)
{
    if (strncmp(name, comp, len) != 0)
        return false;
    if (name[len] == '\0')
        return true;
    /* "memory" matches "memory@80000000" unless the component has an '@'. */
    return name[len] == '@' && !has_unit_address(comp, len);
}

int fdt_path(const struct fdt *fdt, const char *path)
{
    int node = fdt_root(fdt);
    if (path[0] != '/')
        return FDT_ERR_NOTFOUND;
    while (node >= 0) {
        while (*path == '/')
            path++;
        if (!*path)
            return node;
        size_t len = 0;
        while (path[len] && path[len] != '/')
            len++;
        int child = fdt_first_child(fdt, node);
        while (child >= 0) {
            const char *name = fdt_name(fdt, child);
            if (!name)
                return FDT_ERR_BADSTRUCT;
            if (name_matches(name, path, len))
                break;
            child = fdt_next_sibling(fdt, child);
        }
        node = child;
        path += len;
    }
    return node;
}

const void *fdt_prop(const struct fdt *fdt, int node, const char *name,
                     uint32_t *len)
{
    int64_t off = after_name(fdt, node);
    while (off >= 0) {
        int64_t tok = token_at(fdt, (uint32_t)off);
        if (tok == TOKEN_NOP) {
            off += 4;
            continue;
        }
        if (tok != TOKEN_PROP)
            return NULL;
        uint32_t val_off, val_len, name_off;
        off = skip_prop(fdt, (uint32_t)off, &val_off, &val_len, &name_off);
        if (off < 0 || name_off >= fdt->strings_size)
            return NULL;
        const char *pname = (const char *)fdt->blob + fdt->strings_off + name_off;
        size_t max = fdt->strings_size - name_off;
        if (strnlen(pname, max) == max)
            return NULL;               /* unterminated name */
        if (strcmp(pname, name) == 0) {
            if (len)
                *len = val_len;
            return struct_ptr(fdt, val_off);
        }
    }
    return NULL;
}

const char *fdt_prop_string(const struct fdt *fdt, int node, const char *name)
{
    uint32_t len;
    const char *s = fdt_prop(fdt, node, name, &len);
    if (!s || len == 0 || s[len - 1] != '\0')
        return NULL;
    return s;
}

bool fdt_prop_has_string(const struct fdt *fdt, int node, const char *name,
                         const char *str)
{
    uint32_t len;
    const char *s = fdt_prop(fdt, node, name, &len);
    if (!s || len == 0 || s[len - 1] != '\0')
        return false;
    for (uint32_t i = 0; i < len; i += (uint32_t)strlen(s + i) + 1)
        if (strcmp(s + i, str) == 0)
            return true;
    return false;
}

bool fdt_cells(const void *prop, uint32_t len, uint32_t index, uint32_t cells,
               uint64_t *out)
{
    if (!prop || cells < 1 || cells > 2 || index > len / 4 ||
        len / 4 - index < cells)
        return false;
    const uint8_t *p = (const uint8_t *)prop + index * 4;
    uint64_t v = be32(p);
    if (cells == 2)
        v = v << 32 | be32(p + 4);
    *out = v;
    return true;
}

bool fdt_prop_uint(const struct fdt *fdt, int node, const char *name,
                   uint64_t *out)
{
    uint32_t len;
    const void *p = fdt_prop(fdt, node, name, &len);
    if (!p || (len != 4 && len != 8))
        return false;
    return fdt_cells(p, len, 0, len / 4, out);
}

bool fdt_reserved_entry(const struct fdt *fdt, int index,
                        uint64_t *addr, uint64_t *size)
{
    uint64_t off = fdt->rsvmap_off + (uint64_t)index * 16;
    if (index < 0 || off + 16 > fdt->total_size)
        return false;
    const uint8_t *p = fdt->blob + off;
    *addr = (uint64_t)be32(p) << 32 | be32(p + 4);
    *size = (uint64_t)be32(p + 8) << 32 | be32(p + 12);
    return *addr != 0 || *size != 0;   /* the list ends with a zero entry */
}
