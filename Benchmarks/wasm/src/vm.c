/* vm: a small stack-machine bytecode interpreter dispatching with a dense
 * `switch`, which clang lowers to `br_table`. Stresses br_table dispatch,
 * unpredictable indirect branching, and the load/store traffic of the guest
 * VM's operand stack. The guest runs two programs: a prime-counting loop
 * with calls, and an insertion sort over VM memory. */
#include "bench.h"

enum {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER,
    OP_LOAD, OP_STORE, OP_INC,                 /* locals */
    OP_GLOAD, OP_GSTORE,                       /* VM heap: addr on stack */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
    OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_NOT,
    OP_JMP, OP_JZ, OP_JNZ,
    OP_CALL, OP_RET,
    OP_HASH,                                   /* fold top of stack into VM hash */
    OP_COUNT
};

#define MAX_CODE 1024
#define MAX_LABELS 64
#define STACK 1024
#define FRAMES 256
#define HEAP 4096

static i32 code[MAX_CODE];
static i32 ncode;
static i32 label_at[MAX_LABELS];
static i32 fix_pos[MAX_LABELS * 4], fix_label[MAX_LABELS * 4], nfix;

static void emit(i32 w) { code[ncode++] = w; }
static void op(i32 o) { emit(o); }
static void op1(i32 o, i32 a) { emit(o); emit(a); }
static void label(i32 l) { label_at[l] = ncode; }
static void jump(i32 o, i32 l) { emit(o); fix_pos[nfix] = ncode; fix_label[nfix++] = l; emit(0); }
static void call(i32 l, i32 nargs, i32 nlocals) {
    emit(OP_CALL); fix_pos[nfix] = ncode; fix_label[nfix++] = l; emit(0); emit(nargs); emit(nlocals);
}
static void link(void) { for (i32 i = 0; i < nfix; i++) code[fix_pos[i]] = label_at[fix_label[i]]; }

enum { L_MAIN_LOOP, L_MAIN_SKIP, L_MAIN_END, L_ISPRIME, L_IP_LOOP, L_IP_NO, L_IP_YES,
       L_SORT, L_S_OUTER, L_S_INNER, L_S_PLACE, L_S_END, L_FILL, L_F_LOOP, L_F_END,
       L_SUM, L_SUM_LOOP, L_SUM_END, L_PROG2, L_P2_LOOP, L_P2_END };

/* Builds the guest program. Locals of main: 0=i, 1=sum, 2=limit, 3=round. */
static void assemble(i32 limit, i32 sort_n, i32 sort_rounds) {
    ncode = 0; nfix = 0;
    /* main: count primes below limit, summing them */
    op1(OP_PUSH, 2); op1(OP_STORE, 0);
    op1(OP_PUSH, 0); op1(OP_STORE, 1);
    op1(OP_PUSH, limit); op1(OP_STORE, 2);
    label(L_MAIN_LOOP);
    op1(OP_LOAD, 0); op1(OP_LOAD, 2); op(OP_LT); jump(OP_JZ, L_MAIN_END);
    op1(OP_LOAD, 0); call(L_ISPRIME, 1, 2);
    jump(OP_JZ, L_MAIN_SKIP);
    op1(OP_LOAD, 1); op1(OP_LOAD, 0); op(OP_ADD); op1(OP_STORE, 1);
    label(L_MAIN_SKIP);
    op1(OP_INC, 0);
    jump(OP_JMP, L_MAIN_LOOP);
    label(L_MAIN_END);
    op1(OP_LOAD, 1); op(OP_HASH);
    jump(OP_JMP, L_PROG2);

    /* isprime(n): locals 0=n, 1=d */
    label(L_ISPRIME);
    op1(OP_PUSH, 2); op1(OP_STORE, 1);
    label(L_IP_LOOP);
    op1(OP_LOAD, 1); op(OP_DUP); op(OP_MUL); op1(OP_LOAD, 0); op(OP_GT); jump(OP_JNZ, L_IP_YES);
    op1(OP_LOAD, 0); op1(OP_LOAD, 1); op(OP_MOD); jump(OP_JZ, L_IP_NO);
    op1(OP_INC, 1);
    jump(OP_JMP, L_IP_LOOP);
    label(L_IP_NO); op1(OP_PUSH, 0); op(OP_RET);
    label(L_IP_YES); op1(OP_PUSH, 1); op(OP_RET);

    /* fill(n, seed): heap[i] = pseudo-random; locals 0=n, 1=seed, 2=i */
    label(L_FILL);
    op1(OP_PUSH, 0); op1(OP_STORE, 2);
    label(L_F_LOOP);
    op1(OP_LOAD, 2); op1(OP_LOAD, 0); op(OP_LT); jump(OP_JZ, L_F_END);
    op1(OP_LOAD, 1); op1(OP_PUSH, 1103515245); op(OP_MUL); op1(OP_PUSH, 12345); op(OP_ADD);
    op(OP_DUP); op1(OP_STORE, 1);
    op1(OP_PUSH, 8); op(OP_SHR); op1(OP_PUSH, 0xFFFF); op(OP_AND);
    op1(OP_LOAD, 2); op(OP_GSTORE);
    op1(OP_INC, 2);
    jump(OP_JMP, L_F_LOOP);
    label(L_F_END); op1(OP_PUSH, 0); op(OP_RET);

    /* sort(n): insertion sort of heap[0..n); locals 0=n, 1=i, 2=j, 3=key */
    label(L_SORT);
    op1(OP_PUSH, 1); op1(OP_STORE, 1);
    label(L_S_OUTER);
    op1(OP_LOAD, 1); op1(OP_LOAD, 0); op(OP_LT); jump(OP_JZ, L_S_END);
    op1(OP_LOAD, 1); op(OP_GLOAD); op1(OP_STORE, 3);
    op1(OP_LOAD, 1); op1(OP_PUSH, 1); op(OP_SUB); op1(OP_STORE, 2);
    label(L_S_INNER);
    op1(OP_LOAD, 2); op1(OP_PUSH, 0); op(OP_GE); jump(OP_JZ, L_S_PLACE);
    op1(OP_LOAD, 2); op(OP_GLOAD); op1(OP_LOAD, 3); op(OP_GT); jump(OP_JZ, L_S_PLACE);
    op1(OP_LOAD, 2); op(OP_GLOAD); op1(OP_LOAD, 2); op1(OP_PUSH, 1); op(OP_ADD); op(OP_GSTORE);
    op1(OP_LOAD, 2); op1(OP_PUSH, 1); op(OP_SUB); op1(OP_STORE, 2);
    jump(OP_JMP, L_S_INNER);
    label(L_S_PLACE);
    op1(OP_LOAD, 3); op1(OP_LOAD, 2); op1(OP_PUSH, 1); op(OP_ADD); op(OP_GSTORE);
    op1(OP_INC, 1);
    jump(OP_JMP, L_S_OUTER);
    label(L_S_END); op1(OP_PUSH, 0); op(OP_RET);

    /* sum(n): weighted checksum of heap[0..n); locals 0=n, 1=i, 2=acc */
    label(L_SUM);
    op1(OP_PUSH, 0); op1(OP_STORE, 1); op1(OP_PUSH, 0); op1(OP_STORE, 2);
    label(L_SUM_LOOP);
    op1(OP_LOAD, 1); op1(OP_LOAD, 0); op(OP_LT); jump(OP_JZ, L_SUM_END);
    op1(OP_LOAD, 2); op1(OP_PUSH, 31); op(OP_MUL);
    op1(OP_LOAD, 1); op(OP_GLOAD); op(OP_XOR); op1(OP_STORE, 2);
    op1(OP_INC, 1);
    jump(OP_JMP, L_SUM_LOOP);
    label(L_SUM_END); op1(OP_LOAD, 2); op(OP_RET);

    /* program 2: repeat {fill; sort; hash(sum)} sort_rounds times; local 3 = round */
    label(L_PROG2);
    op1(OP_PUSH, 0); op1(OP_STORE, 3);
    label(L_P2_LOOP);
    op1(OP_LOAD, 3); op1(OP_PUSH, sort_rounds); op(OP_LT); jump(OP_JZ, L_P2_END);
    op1(OP_PUSH, sort_n); op1(OP_LOAD, 3); op1(OP_PUSH, 7919); op(OP_MUL); call(L_FILL, 2, 3); op(OP_POP);
    op1(OP_PUSH, sort_n); call(L_SORT, 1, 4); op(OP_POP);
    op1(OP_PUSH, sort_n); call(L_SUM, 1, 3); op(OP_HASH);
    op1(OP_INC, 3);
    jump(OP_JMP, L_P2_LOOP);
    label(L_P2_END);
    op(OP_HALT);
    link();
}

typedef struct { i32 ret_pc; i32 locals_base; i32 sp_base; } frame_t;

static i32 stack[STACK];
static i32 locals[FRAMES * 8];
static frame_t frames[FRAMES];
static i32 heap[HEAP];

static NOINLINE u32 execute(u64 *steps_out) {
    i32 pc = 0, sp = 0, fp = 0, lb = 0;
    u32 hash = 2166136261u;
    u64 steps = 0;
    for (;;) {
        steps++;
        i32 o = code[pc++];
        switch (o) {
        case OP_HALT: *steps_out = steps; return hash;
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_POP: sp--; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { i32 t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case OP_LOAD: stack[sp++] = locals[lb + code[pc++]]; break;
        case OP_STORE: locals[lb + code[pc++]] = stack[--sp]; break;
        case OP_INC: locals[lb + code[pc++]]++; break;
        case OP_GLOAD: stack[sp - 1] = heap[stack[sp - 1] & (HEAP - 1)]; break;
        case OP_GSTORE: sp -= 2; heap[stack[sp + 1] & (HEAP - 1)] = stack[sp]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] * (u32)stack[sp]); break;
        case OP_DIV: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0; break;
        case OP_MOD: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_OR: sp--; stack[sp - 1] |= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] << (stack[sp] & 31)); break;
        case OP_SHR: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] >> (stack[sp] & 31)); break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_LE: sp--; stack[sp - 1] = stack[sp - 1] <= stack[sp]; break;
        case OP_GT: sp--; stack[sp - 1] = stack[sp - 1] > stack[sp]; break;
        case OP_GE: sp--; stack[sp - 1] = stack[sp - 1] >= stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_NE: sp--; stack[sp - 1] = stack[sp - 1] != stack[sp]; break;
        case OP_NOT: stack[sp - 1] = !stack[sp - 1]; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] ? pc + 1 : code[pc]; break;
        case OP_JNZ: pc = stack[--sp] ? code[pc] : pc + 1; break;
        case OP_CALL: {
            i32 target = code[pc], nargs = code[pc + 1], nlocals = code[pc + 2];
            frame_t *f = &frames[++fp];
            f->ret_pc = pc + 3;
            f->locals_base = lb;
            lb += 8;
            for (i32 i = nargs - 1; i >= 0; i--) locals[lb + i] = stack[--sp];
            for (i32 i = nargs; i < nlocals; i++) locals[lb + i] = 0;
            f->sp_base = sp;
            pc = target;
            break;
        }
        case OP_RET: {
            frame_t *f = &frames[fp--];
            i32 v = stack[sp - 1];
            sp = f->sp_base;
            stack[sp++] = v;
            pc = f->ret_pc;
            lb = f->locals_base;
            break;
        }
        case OP_HASH: hash = mix32(hash, (u32)stack[--sp]); break;
        default: *steps_out = steps; return 0xDEAD;
        }
    }
}

static volatile i32 limit_v = 60000;

EXPORT i64 run(void) {
    assemble(limit_v, 600, 6);
    u64 steps = 0;
    u32 h = execute(&steps);
    return (i64)(((u64)h << 32) ^ steps);
}
