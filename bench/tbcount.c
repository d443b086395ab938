// SPDX-License-Identifier: GPL-2.0
/* A QEMU TCG plugin for `bench/run.sh --profile`: counts how often each
 * translated block of guest kernel code runs, so that instructions per
 * kernel function are exact rather than sampled (perf in a TCG guest has
 * only a timer to sample with, and QEMU ends its blocks where the timer
 * lands, which skews the attribution).
 *
 *   -plugin tbcount.so,mark=ADDR,out=PREFIX
 *
 * Each time the block at guest address ADDR runs (the guest calls sync(2),
 * ADDR is __x64_sys_sync), and once at exit, it writes the running totals
 * to PREFIX.N (N = 0, 1, ...), one line per block that ran:
 * "VADDR INSNS COUNT" (hex, decimal, decimal). A block may be translated
 * more than once; each translation has its own line.
 *
 * Run QEMU with -accel tcg,thread=single: the counters are plain adds.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define KERNEL_START 0xffff800000000000ULL
#define CHUNK 65536

struct block {
	uint64_t vaddr, insns, count;
};

/* Blocks live in chunks that never move: QEMU adds to &count in place. */
static struct block **chunks;
static size_t nblocks, nchunks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mark;
static const char *prefix;
static int nsnap;

static void snapshot(void)
{
	char path[4096];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s.%d", prefix, nsnap++);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	for (i = 0; i < nblocks; i++) {
		const struct block *b = &chunks[i / CHUNK][i % CHUNK];

		if (b->count)
			fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
				b->vaddr, b->insns, b->count);
	}
	fclose(f);
}

static void on_mark(unsigned int vcpu, void *data)
{
	pthread_mutex_lock(&lock);
	snapshot();
	pthread_mutex_unlock(&lock);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	if (vaddr < KERNEL_START)
		return;
	pthread_mutex_lock(&lock);
	if (nblocks == nchunks * CHUNK) {
		struct block **c = realloc(chunks, (nchunks + 1) * sizeof(*c));

		if (!c || !(c[nchunks] = calloc(CHUNK, sizeof(**c)))) {
			fprintf(stderr, "tbcount: out of memory\n");
			abort();
		}
		chunks = c;
		nchunks++;
	}
	b = &chunks[nblocks / CHUNK][nblocks % CHUNK];
	nblocks++;
	pthread_mutex_unlock(&lock);

	b->vaddr = vaddr;
	b->insns = qemu_plugin_tb_n_insns(tb);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->count, 1);
	if (vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void on_exit_(qemu_plugin_id_t id, void *data)
{
	snapshot();
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
		else if (!strncmp(argv[i], "out=", 4))
			prefix = strdup(argv[i] + 4);
	}
	if (!mark || !prefix) {
		fprintf(stderr, "tbcount: usage: -plugin tbcount.so,mark=ADDR,out=PREFIX\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
	return 0;
}
