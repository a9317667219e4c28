/* json: a JSON (RFC 8259) toolkit run over generated documents: a generator
 * that writes a realistic API-style document (nested objects and arrays,
 * escaped and non-ASCII strings, integers, decimals, exponents), a tokenizer,
 * a recursive-descent parser building a DOM in an arena, a compact and a
 * pretty serializer, a re-parse round trip with deep structural comparison,
 * JSON Pointer (RFC 6901) lookups, DOM statistics, and rejection of malformed
 * documents.
 *
 * Stresses byte-at-a-time scanning with many small branches (the typical
 * shape of parsers), recursion, pointer-linked data structures, string
 * hashing and UTF-8 encode/decode.
 */
#include "bench.h"

/* ------------------------------------------------------------------------ */
/* Buffers and arena                                                         */
/* ------------------------------------------------------------------------ */

#define DOC_MAX (2u << 20)
#define OUT_MAX (4u << 20)
#define ARENA_MAX (16u << 20)

static char doc[DOC_MAX];
static char out1[OUT_MAX];
static char out2[OUT_MAX];
static u8 arena_mem[ARENA_MAX];
static u32 arena_top;

static void arena_reset(void) { arena_top = 0; }

static void *arena_alloc(u32 size) {
    size = (size + 7) & ~7u;
    if (arena_top + size > ARENA_MAX) return 0;
    void *p = arena_mem + arena_top;
    arena_top += size;
    return p;
}

/* ------------------------------------------------------------------------ */
/* DOM                                                                       */
/* ------------------------------------------------------------------------ */

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } jtype_t;

typedef struct jvalue jvalue_t;
typedef struct jmember jmember_t;

typedef struct {
    char *ptr;
    u32 len;
    u32 hash;
} jstr_t;

struct jvalue {
    jtype_t type;
    union {
        struct { double value; i64 ivalue; u32 is_int; const char *raw; u32 raw_len; } num;
        jstr_t str;
        struct { jvalue_t **items; u32 count; } arr;
        struct { jmember_t *members; u32 count; } obj;
    } u;
};

struct jmember {
    jstr_t key;
    jvalue_t *value;
};

/* ------------------------------------------------------------------------ */
/* Output buffer                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
    char *p;
    u32 n;
    u32 cap;
    u32 overflow;
} sbuf_t;

static void sb_init(sbuf_t *s, char *p, u32 cap) {
    s->p = p;
    s->n = 0;
    s->cap = cap;
    s->overflow = 0;
}

static inline void sb_ch(sbuf_t *s, char c) {
    if (s->n < s->cap) s->p[s->n++] = c;
    else s->overflow = 1;
}

static void sb_str(sbuf_t *s, const char *z) {
    while (*z) sb_ch(s, *z++);
}

static void sb_mem(sbuf_t *s, const char *p, u32 n) {
    for (u32 i = 0; i < n; i++) sb_ch(s, p[i]);
}

static void sb_u64(sbuf_t *s, u64 v) {
    char tmp[24];
    u32 k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k) sb_ch(s, tmp[--k]);
}

static void sb_i64(sbuf_t *s, i64 v) {
    if (v < 0) {
        sb_ch(s, '-');
        sb_u64(s, (u64)0 - (u64)v);
    } else {
        sb_u64(s, (u64)v);
    }
}

static void sb_hex4(sbuf_t *s, u32 v) {
    static const char hexd[] = "0123456789abcdef";
    for (i32 i = 3; i >= 0; i--) sb_ch(s, hexd[(v >> (4 * i)) & 15]);
}

static void sb_indent(sbuf_t *s, u32 depth) {
    sb_ch(s, '\n');
    for (u32 i = 0; i < depth; i++) {
        sb_ch(s, ' ');
        sb_ch(s, ' ');
    }
}

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                     */
/* ------------------------------------------------------------------------ */

static u32 utf8_encode(char *out, u32 cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one UTF-8 sequence at p (n bytes available); returns its length,
 * or 0 if malformed (overlong, surrogate, out of range, truncated). */
static u32 utf8_decode(const u8 *p, u32 n, u32 *cp) {
    u32 c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    u32 len, min;
    if ((c & 0xE0) == 0xC0) { len = 2; c &= 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; c &= 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; c &= 0x07; min = 0x10000; }
    else return 0;
    if (len > n) return 0;
    for (u32 i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

/* ------------------------------------------------------------------------ */
/* Tokenizer                                                                 */
/* ------------------------------------------------------------------------ */

typedef enum {
    T_EOF, T_LBRACE, T_RBRACE, T_LBRACKET, T_RBRACKET, T_COLON, T_COMMA,
    T_STRING, T_NUMBER, T_TRUE, T_FALSE, T_NULL, T_ERROR
} ttype_t;

typedef struct {
    ttype_t type;
    u32 start;       /* offset of the token in the input */
    u32 len;
    /* for strings: decoded value; for numbers: parsed value */
    jstr_t str;
    double num;
    i64 inum;
    u32 is_int;
} token_t;

typedef struct {
    const char *src;
    u32 len;
    u32 pos;
    u32 error_pos;
    const char *error;
    token_t tok;
    u32 depth;
    u32 max_depth;
    u32 tokens;
    char *scratch;   /* decode buffer for strings */
    u32 scratch_cap;
} lexer_t;

static const double pow10_table[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double pow10_int(i32 e) {
    double r = 1.0;
    u32 a = (u32)(e < 0 ? -e : e);
    while (a > 22) {
        r *= 1e22;
        a -= 22;
    }
    r *= pow10_table[a];
    return e < 0 ? 1.0 / r : r;
}

static u32 lex_fail(lexer_t *lx, const char *msg) {
    if (!lx->error) {
        lx->error = msg;
        lx->error_pos = lx->pos;
    }
    lx->tok.type = T_ERROR;
    return 0;
}

static inline u32 is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static inline u32 is_digit(char c) { return c >= '0' && c <= '9'; }

static i32 hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static i32 read_hex4(lexer_t *lx) {
    if (lx->pos + 4 > lx->len) return -1;
    i32 v = 0;
    for (u32 i = 0; i < 4; i++) {
        i32 h = hex_value(lx->src[lx->pos + i]);
        if (h < 0) return -1;
        v = (v << 4) | h;
    }
    lx->pos += 4;
    return v;
}

static u32 string_hash(const char *p, u32 n) {
    u32 h = 2166136261u;
    for (u32 i = 0; i < n; i++) h = (h ^ (u8)p[i]) * 16777619u;
    return h;
}

/* Scans a string token (pos at the opening quote), decoding escapes into
 * the scratch buffer and then copying into the arena. */
static NOINLINE u32 lex_string(lexer_t *lx) {
    lx->pos++;
    u32 n = 0;
    for (;;) {
        if (lx->pos >= lx->len) return lex_fail(lx, "unterminated string");
        u8 c = (u8)lx->src[lx->pos];
        if (c == '"') {
            lx->pos++;
            break;
        }
        if (n + 4 > lx->scratch_cap) return lex_fail(lx, "string too long");
        if (c == '\\') {
            lx->pos++;
            if (lx->pos >= lx->len) return lex_fail(lx, "unterminated escape");
            char e = lx->src[lx->pos++];
            switch (e) {
            case '"': lx->scratch[n++] = '"'; break;
            case '\\': lx->scratch[n++] = '\\'; break;
            case '/': lx->scratch[n++] = '/'; break;
            case 'b': lx->scratch[n++] = '\b'; break;
            case 'f': lx->scratch[n++] = '\f'; break;
            case 'n': lx->scratch[n++] = '\n'; break;
            case 'r': lx->scratch[n++] = '\r'; break;
            case 't': lx->scratch[n++] = '\t'; break;
            case 'u': {
                i32 cp = read_hex4(lx);
                if (cp < 0) return lex_fail(lx, "bad \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (lx->pos + 2 > lx->len || lx->src[lx->pos] != '\\' || lx->src[lx->pos + 1] != 'u')
                        return lex_fail(lx, "lone high surrogate");
                    lx->pos += 2;
                    i32 lo = read_hex4(lx);
                    if (lo < 0xDC00 || lo > 0xDFFF) return lex_fail(lx, "bad low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return lex_fail(lx, "lone low surrogate");
                }
                n += utf8_encode(lx->scratch + n, (u32)cp);
                break;
            }
            default: return lex_fail(lx, "unknown escape");
            }
            continue;
        }
        if (c < 0x20) return lex_fail(lx, "control character in string");
        if (c < 0x80) {
            lx->scratch[n++] = (char)c;
            lx->pos++;
            continue;
        }
        u32 cp;
        u32 k = utf8_decode((const u8 *)lx->src + lx->pos, lx->len - lx->pos, &cp);
        if (!k) return lex_fail(lx, "invalid UTF-8");
        for (u32 i = 0; i < k; i++) lx->scratch[n++] = lx->src[lx->pos + i];
        lx->pos += k;
    }
    char *copy = arena_alloc(n + 1);
    if (!copy) return lex_fail(lx, "out of memory");
    memcpy(copy, lx->scratch, n);
    copy[n] = 0;
    lx->tok.type = T_STRING;
    lx->tok.str.ptr = copy;
    lx->tok.str.len = n;
    lx->tok.str.hash = string_hash(copy, n);
    return 1;
}

/* Scans a number per the JSON grammar. Integers that fit keep an exact i64;
 * everything is also converted to double (mantissa * 10^exp: deterministic,
 * not always correctly rounded, which is fine for a benchmark). */
static NOINLINE u32 lex_number(lexer_t *lx) {
    u32 p = lx->pos;
    u32 neg = 0;
    if (lx->src[p] == '-') {
        neg = 1;
        p++;
    }
    if (p >= lx->len || !is_digit(lx->src[p])) return lex_fail(lx, "bad number");
    u64 mant = 0;
    u32 digits = 0;
    i32 exp10 = 0;
    if (lx->src[p] == '0') {
        p++;
        if (p < lx->len && is_digit(lx->src[p])) return lex_fail(lx, "leading zero");
    } else {
        while (p < lx->len && is_digit(lx->src[p])) {
            if (digits < 19) {
                mant = mant * 10 + (u64)(lx->src[p] - '0');
                digits++;
            } else {
                exp10++;
            }
            p++;
        }
    }
    u32 is_int = 1;
    if (p < lx->len && lx->src[p] == '.') {
        is_int = 0;
        p++;
        if (p >= lx->len || !is_digit(lx->src[p])) return lex_fail(lx, "digit expected after '.'");
        while (p < lx->len && is_digit(lx->src[p])) {
            if (digits < 19) {
                mant = mant * 10 + (u64)(lx->src[p] - '0');
                digits++;
                exp10--;
            }
            p++;
        }
    }
    if (p < lx->len && (lx->src[p] == 'e' || lx->src[p] == 'E')) {
        is_int = 0;
        p++;
        i32 esign = 1, e = 0;
        if (p < lx->len && (lx->src[p] == '+' || lx->src[p] == '-')) {
            if (lx->src[p] == '-') esign = -1;
            p++;
        }
        if (p >= lx->len || !is_digit(lx->src[p])) return lex_fail(lx, "digit expected in exponent");
        while (p < lx->len && is_digit(lx->src[p])) {
            if (e < 10000) e = e * 10 + (lx->src[p] - '0');
            p++;
        }
        exp10 += esign * e;
    }
    if (is_int && exp10 != 0) is_int = 0;
    if (is_int && mant > 0x7FFFFFFFFFFFFFFFull) is_int = 0;
    double v = (double)mant;
    if (exp10 > 308) v = mant ? 1.0e308 * 10.0 : 0.0;
    else if (exp10 < -340) v = 0.0;
    else if (exp10 != 0) v = exp10 > 0 ? v * pow10_int(exp10) : v / pow10_int(-exp10);
    lx->tok.type = T_NUMBER;
    lx->tok.num = neg ? -v : v;
    lx->tok.inum = neg ? -(i64)mant : (i64)mant;
    lx->tok.is_int = is_int;
    lx->pos = p;
    return 1;
}

static u32 lex_word(lexer_t *lx, const char *word, ttype_t type) {
    u32 n = (u32)bench_strlen(word);
    if (lx->pos + n > lx->len) return lex_fail(lx, "truncated literal");
    for (u32 i = 0; i < n; i++)
        if (lx->src[lx->pos + i] != word[i]) return lex_fail(lx, "bad literal");
    lx->pos += n;
    lx->tok.type = type;
    return 1;
}

/* Advances to the next token. */
static NOINLINE u32 lex_next(lexer_t *lx) {
    while (lx->pos < lx->len && is_ws(lx->src[lx->pos])) lx->pos++;
    lx->tok.start = lx->pos;
    lx->tokens++;
    if (lx->pos >= lx->len) {
        lx->tok.type = T_EOF;
        lx->tok.len = 0;
        return 1;
    }
    char c = lx->src[lx->pos];
    u32 ok = 1;
    switch (c) {
    case '{': lx->tok.type = T_LBRACE; lx->pos++; break;
    case '}': lx->tok.type = T_RBRACE; lx->pos++; break;
    case '[': lx->tok.type = T_LBRACKET; lx->pos++; break;
    case ']': lx->tok.type = T_RBRACKET; lx->pos++; break;
    case ':': lx->tok.type = T_COLON; lx->pos++; break;
    case ',': lx->tok.type = T_COMMA; lx->pos++; break;
    case '"': ok = lex_string(lx); break;
    case 't': ok = lex_word(lx, "true", T_TRUE); break;
    case 'f': ok = lex_word(lx, "false", T_FALSE); break;
    case 'n': ok = lex_word(lx, "null", T_NULL); break;
    default:
        if (c == '-' || is_digit(c)) ok = lex_number(lx);
        else ok = lex_fail(lx, "unexpected character");
    }
    lx->tok.len = lx->pos - lx->tok.start;
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                    */
/* ------------------------------------------------------------------------ */

#define MAX_DEPTH 512
#define MAX_ITEMS 65536

/* Temporary stacks used while collecting children before they are copied
 * into exact-size arena arrays. */
static jvalue_t *item_stack[MAX_ITEMS * 4];
static u32 item_top;
static jmember_t member_stack[MAX_ITEMS * 4];
static u32 member_top;

static jvalue_t *new_value(jtype_t t) {
    jvalue_t *v = arena_alloc(sizeof(jvalue_t));
    if (v) v->type = t;
    return v;
}

static jvalue_t *parse_value(lexer_t *lx);

static NOINLINE jvalue_t *parse_array(lexer_t *lx) {
    u32 base = item_top;
    if (!lex_next(lx)) return 0;
    if (lx->tok.type != T_RBRACKET) {
        for (;;) {
            jvalue_t *item = parse_value(lx);
            if (!item) return 0;
            if (item_top >= MAX_ITEMS * 4) { lex_fail(lx, "too many items"); return 0; }
            item_stack[item_top++] = item;
            if (!lex_next(lx)) return 0;
            if (lx->tok.type == T_COMMA) {
                if (!lex_next(lx)) return 0;
                continue;
            }
            if (lx->tok.type == T_RBRACKET) break;
            lex_fail(lx, "expected ',' or ']'");
            return 0;
        }
    }
    jvalue_t *v = new_value(J_ARRAY);
    if (!v) return 0;
    u32 count = item_top - base;
    v->u.arr.count = count;
    v->u.arr.items = count ? arena_alloc(count * sizeof(jvalue_t *)) : 0;
    if (count && !v->u.arr.items) return 0;
    for (u32 i = 0; i < count; i++) v->u.arr.items[i] = item_stack[base + i];
    item_top = base;
    return v;
}

static NOINLINE jvalue_t *parse_object(lexer_t *lx) {
    u32 base = member_top;
    if (!lex_next(lx)) return 0;
    if (lx->tok.type != T_RBRACE) {
        for (;;) {
            if (lx->tok.type != T_STRING) { lex_fail(lx, "expected string key"); return 0; }
            jstr_t key = lx->tok.str;
            if (!lex_next(lx)) return 0;
            if (lx->tok.type != T_COLON) { lex_fail(lx, "expected ':'"); return 0; }
            if (!lex_next(lx)) return 0;
            jvalue_t *val = parse_value(lx);
            if (!val) return 0;
            if (member_top >= MAX_ITEMS * 4) { lex_fail(lx, "too many members"); return 0; }
            member_stack[member_top].key = key;
            member_stack[member_top].value = val;
            member_top++;
            if (!lex_next(lx)) return 0;
            if (lx->tok.type == T_COMMA) {
                if (!lex_next(lx)) return 0;
                continue;
            }
            if (lx->tok.type == T_RBRACE) break;
            lex_fail(lx, "expected ',' or '}'");
            return 0;
        }
    }
    jvalue_t *v = new_value(J_OBJECT);
    if (!v) return 0;
    u32 count = member_top - base;
    v->u.obj.count = count;
    v->u.obj.members = count ? arena_alloc(count * sizeof(jmember_t)) : 0;
    if (count && !v->u.obj.members) return 0;
    for (u32 i = 0; i < count; i++) v->u.obj.members[i] = member_stack[base + i];
    member_top = base;
    return v;
}

/* Parses the value starting at the current token. */
static jvalue_t *parse_value(lexer_t *lx) {
    jvalue_t *v = 0;
    switch (lx->tok.type) {
    case T_LBRACE:
    case T_LBRACKET:
        if (++lx->depth > MAX_DEPTH) { lex_fail(lx, "nesting too deep"); return 0; }
        if (lx->depth > lx->max_depth) lx->max_depth = lx->depth;
        v = lx->tok.type == T_LBRACE ? parse_object(lx) : parse_array(lx);
        lx->depth--;
        return v;
    case T_STRING:
        v = new_value(J_STRING);
        if (v) v->u.str = lx->tok.str;
        return v;
    case T_NUMBER:
        v = new_value(J_NUMBER);
        if (v) {
            v->u.num.value = lx->tok.num;
            v->u.num.ivalue = lx->tok.inum;
            v->u.num.is_int = lx->tok.is_int;
            v->u.num.raw = lx->src + lx->tok.start;
            v->u.num.raw_len = lx->tok.len;
        }
        return v;
    case T_TRUE: return new_value(J_TRUE);
    case T_FALSE: return new_value(J_FALSE);
    case T_NULL: return new_value(J_NULL);
    case T_ERROR: return 0;
    default: lex_fail(lx, "unexpected token"); return 0;
    }
}

static char scratch_buf[1u << 16];

typedef struct {
    jvalue_t *root;
    const char *error;
    u32 error_pos;
    u32 tokens;
    u32 max_depth;
} parse_result_t;

static NOINLINE parse_result_t parse_document(const char *src, u32 len) {
    lexer_t lx;
    lx.src = src;
    lx.len = len;
    lx.pos = 0;
    lx.error = 0;
    lx.error_pos = 0;
    lx.depth = 0;
    lx.max_depth = 0;
    lx.tokens = 0;
    lx.scratch = scratch_buf;
    lx.scratch_cap = sizeof scratch_buf;
    item_top = 0;
    member_top = 0;
    parse_result_t r = {0, 0, 0, 0, 0};
    jvalue_t *root = 0;
    if (lex_next(&lx)) root = parse_value(&lx);
    if (root) {
        if (lex_next(&lx) && lx.tok.type != T_EOF) {
            lex_fail(&lx, "trailing characters");
            root = 0;
        }
    }
    if (!root && !lx.error) {
        lx.error = "out of memory";
        lx.error_pos = lx.pos;
    }
    r.root = lx.error ? 0 : root;
    r.error = lx.error;
    r.error_pos = lx.error_pos;
    r.tokens = lx.tokens;
    r.max_depth = lx.max_depth;
    return r;
}

/* ------------------------------------------------------------------------ */
/* Serializers                                                               */
/* ------------------------------------------------------------------------ */

static void write_string(sbuf_t *s, const jstr_t *str) {
    sb_ch(s, '"');
    const u8 *p = (const u8 *)str->ptr;
    for (u32 i = 0; i < str->len; i++) {
        u8 c = p[i];
        switch (c) {
        case '"': sb_str(s, "\\\""); break;
        case '\\': sb_str(s, "\\\\"); break;
        case '\n': sb_str(s, "\\n"); break;
        case '\r': sb_str(s, "\\r"); break;
        case '\t': sb_str(s, "\\t"); break;
        case '\b': sb_str(s, "\\b"); break;
        case '\f': sb_str(s, "\\f"); break;
        default:
            if (c < 0x20) {
                sb_str(s, "\\u");
                sb_hex4(s, c);
            } else {
                sb_ch(s, (char)c);
            }
        }
    }
    sb_ch(s, '"');
}

static void write_number(sbuf_t *s, const jvalue_t *v) {
    if (v->u.num.is_int) sb_i64(s, v->u.num.ivalue);
    else sb_mem(s, v->u.num.raw, v->u.num.raw_len); /* keep the exact lexeme */
}

static NOINLINE void write_compact(sbuf_t *s, const jvalue_t *v) {
    switch (v->type) {
    case J_NULL: sb_str(s, "null"); break;
    case J_TRUE: sb_str(s, "true"); break;
    case J_FALSE: sb_str(s, "false"); break;
    case J_NUMBER: write_number(s, v); break;
    case J_STRING: write_string(s, &v->u.str); break;
    case J_ARRAY:
        sb_ch(s, '[');
        for (u32 i = 0; i < v->u.arr.count; i++) {
            if (i) sb_ch(s, ',');
            write_compact(s, v->u.arr.items[i]);
        }
        sb_ch(s, ']');
        break;
    case J_OBJECT:
        sb_ch(s, '{');
        for (u32 i = 0; i < v->u.obj.count; i++) {
            if (i) sb_ch(s, ',');
            write_string(s, &v->u.obj.members[i].key);
            sb_ch(s, ':');
            write_compact(s, v->u.obj.members[i].value);
        }
        sb_ch(s, '}');
        break;
    }
}

static NOINLINE void write_pretty(sbuf_t *s, const jvalue_t *v, u32 depth) {
    switch (v->type) {
    case J_ARRAY:
        if (!v->u.arr.count) {
            sb_str(s, "[]");
            break;
        }
        sb_ch(s, '[');
        for (u32 i = 0; i < v->u.arr.count; i++) {
            if (i) sb_ch(s, ',');
            sb_indent(s, depth + 1);
            write_pretty(s, v->u.arr.items[i], depth + 1);
        }
        sb_indent(s, depth);
        sb_ch(s, ']');
        break;
    case J_OBJECT:
        if (!v->u.obj.count) {
            sb_str(s, "{}");
            break;
        }
        sb_ch(s, '{');
        for (u32 i = 0; i < v->u.obj.count; i++) {
            if (i) sb_ch(s, ',');
            sb_indent(s, depth + 1);
            write_string(s, &v->u.obj.members[i].key);
            sb_str(s, ": ");
            write_pretty(s, v->u.obj.members[i].value, depth + 1);
        }
        sb_indent(s, depth);
        sb_ch(s, '}');
        break;
    default: write_compact(s, v);
    }
}

/* ------------------------------------------------------------------------ */
/* Structural comparison, statistics, lookups                                */
/* ------------------------------------------------------------------------ */

static u32 str_eq(const jstr_t *a, const jstr_t *b) {
    return a->hash == b->hash && a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

static NOINLINE u32 deep_equal(const jvalue_t *a, const jvalue_t *b) {
    if (a->type != b->type) return 0;
    switch (a->type) {
    case J_NULL:
    case J_TRUE:
    case J_FALSE: return 1;
    case J_NUMBER:
        if (a->u.num.is_int != b->u.num.is_int) return 0;
        return a->u.num.is_int ? a->u.num.ivalue == b->u.num.ivalue : f64_bits(a->u.num.value) == f64_bits(b->u.num.value);
    case J_STRING: return str_eq(&a->u.str, &b->u.str);
    case J_ARRAY:
        if (a->u.arr.count != b->u.arr.count) return 0;
        for (u32 i = 0; i < a->u.arr.count; i++)
            if (!deep_equal(a->u.arr.items[i], b->u.arr.items[i])) return 0;
        return 1;
    case J_OBJECT:
        if (a->u.obj.count != b->u.obj.count) return 0;
        for (u32 i = 0; i < a->u.obj.count; i++) {
            if (!str_eq(&a->u.obj.members[i].key, &b->u.obj.members[i].key)) return 0;
            if (!deep_equal(a->u.obj.members[i].value, b->u.obj.members[i].value)) return 0;
        }
        return 1;
    }
    return 0;
}

typedef struct {
    u32 counts[7];
    u32 max_array;
    u32 max_object;
    u64 int_sum;
    double float_sum;
    u32 string_hash;
    u32 string_bytes;
    u32 key_hash;
} stats_t;

static NOINLINE void collect_stats(const jvalue_t *v, stats_t *st) {
    st->counts[v->type]++;
    switch (v->type) {
    case J_NUMBER:
        if (v->u.num.is_int) st->int_sum += (u64)v->u.num.ivalue;
        else st->float_sum += v->u.num.value;
        break;
    case J_STRING:
        st->string_hash = mix32(st->string_hash, v->u.str.hash);
        st->string_bytes += v->u.str.len;
        break;
    case J_ARRAY:
        if (v->u.arr.count > st->max_array) st->max_array = v->u.arr.count;
        for (u32 i = 0; i < v->u.arr.count; i++) collect_stats(v->u.arr.items[i], st);
        break;
    case J_OBJECT:
        if (v->u.obj.count > st->max_object) st->max_object = v->u.obj.count;
        for (u32 i = 0; i < v->u.obj.count; i++) {
            st->key_hash = st->key_hash * 31 + v->u.obj.members[i].key.hash;
            collect_stats(v->u.obj.members[i].value, st);
        }
        break;
    default: break;
    }
}

static const jvalue_t *object_get(const jvalue_t *obj, const char *key, u32 len) {
    if (!obj || obj->type != J_OBJECT) return 0;
    u32 h = string_hash(key, len);
    for (u32 i = 0; i < obj->u.obj.count; i++) {
        const jstr_t *k = &obj->u.obj.members[i].key;
        if (k->hash == h && k->len == len && memcmp(k->ptr, key, len) == 0) return obj->u.obj.members[i].value;
    }
    return 0;
}

/* RFC 6901 JSON Pointer: "/users/12/name", with ~0 and ~1 escapes. */
static NOINLINE const jvalue_t *json_pointer(const jvalue_t *root, const char *ptr) {
    const jvalue_t *cur = root;
    u32 i = 0;
    if (ptr[0] == 0) return root;
    char token[128];
    while (ptr[i] == '/') {
        i++;
        u32 n = 0;
        while (ptr[i] && ptr[i] != '/' && n < sizeof token) {
            char c = ptr[i++];
            if (c == '~') {
                char e = ptr[i++];
                if (e == '0') c = '~';
                else if (e == '1') c = '/';
                else return 0;
            }
            token[n++] = c;
        }
        if (!cur) return 0;
        if (cur->type == J_OBJECT) {
            cur = object_get(cur, token, n);
        } else if (cur->type == J_ARRAY) {
            if (n == 0) return 0;
            u32 idx = 0;
            for (u32 k = 0; k < n; k++) {
                if (!is_digit(token[k])) return 0;
                idx = idx * 10 + (u32)(token[k] - '0');
            }
            if (n > 1 && token[0] == '0') return 0;
            cur = idx < cur->u.arr.count ? cur->u.arr.items[idx] : 0;
        } else {
            return 0;
        }
    }
    return ptr[i] == 0 ? cur : 0;
}

static u32 value_fingerprint(const jvalue_t *v) {
    if (!v) return 0xFFFFFFFFu;
    switch (v->type) {
    case J_NUMBER: return v->u.num.is_int ? (u32)v->u.num.ivalue : (u32)f64_bits(v->u.num.value);
    case J_STRING: return v->u.str.hash;
    case J_ARRAY: return 0xA0000000u | v->u.arr.count;
    case J_OBJECT: return 0xB0000000u | v->u.obj.count;
    default: return (u32)v->type;
    }
}

/* ------------------------------------------------------------------------ */
/* Document generator                                                        */
/* ------------------------------------------------------------------------ */

static const char *const first_names[] = {"Ada", "Grace", "Linus", "Barbara", "Ken", "Dennis", "Margaret",
                                          "Edsger", "Donald", "Frances", "Niklaus", "Radia", "Anita", "Guido"};
static const char *const last_names[] = {"Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Ritchie",
                                         "Hamilton", "Dijkstra", "Knuth", "Allen", "Wirth", "Perlman"};
static const char *const tags[] = {"wasm", "swift", "interpreter", "crdt", "gossip", "store", "bench",
                                   "simd", "jit", "register", "stack", "threaded"};
static const char *const cities[] = {"Zürich", "München", "São Paulo", "Kraków", "Reykjavík", "東京",
                                     "Москва", "Αθήνα", "Montréal", "İstanbul"};
static const char *const words[] = {"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing",
                                    "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore"};

typedef struct {
    sbuf_t s;
    rng_t r;
} docgen_t;

static void g_key(docgen_t *g, const char *k) {
    sb_ch(&g->s, '"');
    sb_str(&g->s, k);
    sb_str(&g->s, "\":");
}

static void g_strlit(docgen_t *g, const char *v) {
    sb_ch(&g->s, '"');
    sb_str(&g->s, v);
    sb_ch(&g->s, '"');
}

static void g_escaped_text(docgen_t *g, u32 nwords) {
    sb_ch(&g->s, '"');
    for (u32 i = 0; i < nwords; i++) {
        if (i) sb_ch(&g->s, ' ');
        sb_str(&g->s, words[rng_below(&g->r, 15)]);
        u32 k = rng_below(&g->r, 40);
        if (k == 0) sb_str(&g->s, "\\n");
        else if (k == 1) sb_str(&g->s, "\\\"quoted\\\"");
        else if (k == 2) sb_str(&g->s, "\\u00e9");
        else if (k == 3) sb_str(&g->s, "\\ud83d\\ude00"); /* surrogate pair */
        else if (k == 4) sb_str(&g->s, "\\t\\\\");
        else if (k == 5) sb_str(&g->s, "\\/");
    }
    sb_ch(&g->s, '"');
}

static void g_decimal(docgen_t *g, i32 int_part, u32 frac, u32 frac_digits) {
    sb_i64(&g->s, int_part);
    sb_ch(&g->s, '.');
    char tmp[12];
    for (u32 i = 0; i < frac_digits; i++) {
        tmp[frac_digits - 1 - i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    sb_mem(&g->s, tmp, frac_digits);
}

static NOINLINE void g_user(docgen_t *g, u32 id) {
    rng_t *r = &g->r;
    sb_ch(&g->s, '{');
    g_key(g, "id"); sb_u64(&g->s, id); sb_ch(&g->s, ',');
    g_key(g, "name");
    sb_ch(&g->s, '"');
    sb_str(&g->s, first_names[rng_below(r, 14)]);
    sb_ch(&g->s, ' ');
    sb_str(&g->s, last_names[rng_below(r, 12)]);
    sb_str(&g->s, "\",");
    g_key(g, "email");
    sb_ch(&g->s, '"');
    sb_str(&g->s, "user");
    sb_u64(&g->s, id);
    sb_str(&g->s, "@example.org\",");
    g_key(g, "active"); sb_str(&g->s, rng_below(r, 3) ? "true" : "false"); sb_ch(&g->s, ',');
    g_key(g, "score"); g_decimal(g, (i32)rng_below(r, 200) - 100, rng_below(r, 1000), 3); sb_ch(&g->s, ',');
    g_key(g, "balance"); sb_i64(&g->s, (i64)rng_next(r) % 100000000000ll); sb_ch(&g->s, ',');
    g_key(g, "ratio");
    sb_u64(&g->s, rng_below(r, 9) + 1);
    sb_ch(&g->s, '.');
    sb_u64(&g->s, rng_below(r, 100));
    sb_str(&g->s, rng_below(r, 2) ? "e-5" : "E+12");
    sb_ch(&g->s, ',');
    g_key(g, "city"); g_strlit(g, cities[rng_below(r, 10)]); sb_ch(&g->s, ',');
    g_key(g, "tags");
    sb_ch(&g->s, '[');
    u32 nt = rng_below(r, 6);
    for (u32 i = 0; i < nt; i++) {
        if (i) sb_ch(&g->s, ',');
        g_strlit(g, tags[rng_below(r, 12)]);
    }
    sb_str(&g->s, "],");
    g_key(g, "location");
    sb_ch(&g->s, '{');
    g_key(g, "lat"); g_decimal(g, (i32)rng_below(r, 180) - 90, rng_below(r, 1000000), 6); sb_ch(&g->s, ',');
    g_key(g, "lon"); g_decimal(g, (i32)rng_below(r, 360) - 180, rng_below(r, 1000000), 6);
    sb_str(&g->s, "},");
    g_key(g, "manager"); if (rng_below(r, 4)) sb_u64(&g->s, rng_below(r, id + 1)); else sb_str(&g->s, "null");
    sb_ch(&g->s, ',');
    g_key(g, "history");
    sb_ch(&g->s, '[');
    u32 nh = rng_below(r, 5);
    for (u32 i = 0; i < nh; i++) {
        if (i) sb_ch(&g->s, ',');
        sb_ch(&g->s, '{');
        g_key(g, "ts"); sb_u64(&g->s, 1700000000u + rng_below(r, 10000000)); sb_ch(&g->s, ',');
        g_key(g, "event"); g_strlit(g, rng_below(r, 2) ? "login" : "purchase"); sb_ch(&g->s, ',');
        g_key(g, "amounts");
        sb_ch(&g->s, '[');
        u32 na = rng_below(r, 4);
        for (u32 k = 0; k < na; k++) {
            if (k) sb_ch(&g->s, ',');
            sb_i64(&g->s, (i64)rng_below(r, 20000) - 10000);
        }
        sb_str(&g->s, "],");
        g_key(g, "note"); g_escaped_text(g, 2 + rng_below(r, 10));
        sb_ch(&g->s, '}');
    }
    sb_str(&g->s, "],");
    g_key(g, "matrix");
    sb_str(&g->s, "[[");
    sb_u64(&g->s, rng_below(r, 10));
    sb_str(&g->s, ",[");
    sb_u64(&g->s, rng_below(r, 10));
    sb_str(&g->s, ",[[],{}]]],[]],");
    g_key(g, "bio"); g_escaped_text(g, 5 + rng_below(r, 30));
    sb_ch(&g->s, '}');
}

static NOINLINE u32 generate_document(char *dst, u32 cap, u32 users, u64 seed) {
    docgen_t g;
    sb_init(&g.s, dst, cap);
    rng_seed(&g.r, seed);
    sb_str(&g.s, "{\n  \"version\": 3,\n  \"generator\": \"nx-bench\",\n  \"pi\": 3.14159265358979,");
    sb_str(&g.s, "\n  \"empty\": {}, \"nothing\": [], \"unicode\": \"\\u0041\\u00df\\u6771\\ud834\\udd1e\",\n  \"users\": [\n");
    for (u32 i = 0; i < users; i++) {
        if (i) sb_str(&g.s, ",\n");
        sb_str(&g.s, "    ");
        g_user(&g, i);
    }
    sb_str(&g.s, "\n  ],\n  \"totals\": {\"count\": ");
    sb_u64(&g.s, users);
    sb_str(&g.s, ", \"big\": 12345678901234567890123, \"neg\": -0.0, \"tiny\": 1e-300, \"huge\": 1.5e300}\n}\n");
    return g.s.overflow ? 0 : g.s.n;
}

/* ------------------------------------------------------------------------ */
/* Malformed documents                                                       */
/* ------------------------------------------------------------------------ */

static const char *const malformed[] = {
    "", "   ", "{", "}", "[1,2", "[1,2,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]",
    "[1e]", "[-]", "[tru]", "[nul]", "[\"\\x\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"abc]", "[\"a\nb\"]",
    "[1] [2]", "{\"a\":1 \"b\":2}", "[\"\\u12g4\"]", "[\xff]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]",
    "{\"a\":}", "[,1]", "[1 2]", "nulll", "[\"\\", "{\"k\":[1,{\"x\":tru}]}",
};

static NOINLINE u32 check_malformed(void) {
    u32 h = 0;
    u32 n = sizeof malformed / sizeof malformed[0];
    for (u32 i = 0; i < n; i++) {
        arena_reset();
        parse_result_t r = parse_document(malformed[i], (u32)bench_strlen(malformed[i]));
        /* every one must be rejected; fold the error position into the hash */
        h = mix32(h, r.root ? 0xBADBAD : r.error_pos * 131 + (u32)bench_strlen(r.error));
    }
    /* deep nesting beyond the limit must be rejected, not overflow the stack */
    static char deep[2 * MAX_DEPTH + 64];
    u32 k = 0;
    for (u32 i = 0; i < MAX_DEPTH + 10; i++) deep[k++] = '[';
    for (u32 i = 0; i < MAX_DEPTH + 10; i++) deep[k++] = ']';
    arena_reset();
    parse_result_t r = parse_document(deep, k);
    h = mix32(h, r.root ? 0xBADBAD : r.error_pos);
    return h;
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                    */
/* ------------------------------------------------------------------------ */

static volatile u32 users_v = 1200;
static volatile u32 rounds_v = 2;

static u32 doc_len;

#ifdef JSON_DEBUG_EXPORTS
EXPORT u32 debug_generate(u32 users) { doc_len = generate_document(doc, DOC_MAX, users, 0x15ACE); return doc_len; }
EXPORT char *debug_doc(void) { return doc; }
EXPORT u32 debug_compact(void) {
    arena_reset();
    parse_result_t r = parse_document(doc, doc_len);
    if (!r.root) return 0;
    sbuf_t s;
    sb_init(&s, out1, OUT_MAX);
    write_compact(&s, r.root);
    return s.n;
}
EXPORT u32 debug_pretty(void) {
    arena_reset();
    parse_result_t r = parse_document(doc, doc_len);
    if (!r.root) return 0;
    sbuf_t s;
    sb_init(&s, out2, OUT_MAX);
    write_pretty(&s, r.root, 0);
    return s.n;
}
EXPORT char *debug_out1(void) { return out1; }
EXPORT char *debug_out2(void) { return out2; }
EXPORT u32 debug_malformed_accepted(void) {
    u32 bad = 0;
    for (u32 i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        arena_reset();
        if (parse_document(malformed[i], (u32)bench_strlen(malformed[i])).root) bad++;
    }
    return bad;
}
#endif

EXPORT i64 run(void) {
    u64 h = check_malformed();
    u32 users = users_v;
    doc_len = generate_document(doc, DOC_MAX, users, 0x15ACE);
    h = mix64(h, doc_len);
    static const char *const pointers[] = {"/version", "/users/0/name", "/users/17/location/lat", "/users/5/tags/0",
                                           "/totals/count", "/unicode", "/users/3/history/0/amounts", "/nope",
                                           "/users/99999", "/users/01", "/empty", "/totals/big", "/pi"};
    for (u32 round = 0; round < rounds_v; round++) {
        arena_reset();
        parse_result_t a = parse_document(doc, doc_len);
        if (!a.root) return (i64)mix64(h, 0xE000 + a.error_pos);
        h = mix64(h, ((u64)a.tokens << 16) | a.max_depth);

        sbuf_t s1;
        sb_init(&s1, out1, OUT_MAX);
        write_compact(&s1, a.root);
        sbuf_t s2;
        sb_init(&s2, out2, OUT_MAX);
        write_pretty(&s2, a.root, 0);
        h = mix64(h, ((u64)s1.n << 32) | s2.n);

        parse_result_t b = parse_document(out1, s1.n);
        parse_result_t c = parse_document(out2, s2.n);
        u32 same = b.root && c.root && deep_equal(a.root, b.root) && deep_equal(b.root, c.root);
        h = mix64(h, same);

        stats_t st;
        memset(&st, 0, sizeof st);
        collect_stats(c.root ? c.root : a.root, &st);
        for (u32 i = 0; i < 7; i++) h = mix64(h, st.counts[i]);
        h = mix64(h, st.int_sum);
        h = mix64(h, f64_bits(st.float_sum));
        h = mix64(h, ((u64)st.string_hash << 32) | st.string_bytes);
        h = mix64(h, ((u64)st.key_hash << 32) | (st.max_array << 16) | st.max_object);

        for (u32 k = 0; k < sizeof pointers / sizeof pointers[0]; k++)
            h = mix64(h, value_fingerprint(json_pointer(b.root, pointers[k])));
    }
    return (i64)h;
}
