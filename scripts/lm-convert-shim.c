/* LD_PRELOAD shim for Debian 12's sphinx_lm_convert (sphinxbase
 * 0.8+5prealpha): writing ARPA from a trie LM whose header n-gram counts
 * exceed what its trie holds (pocketsphinx-en-us's en-us.lm.bin declares
 * 2051547 bigrams, the trie holds fewer) trips
 * `assert(raw_ngram_idx == base->n_counts[i - 1])` in
 * ngram_model_trie_write_arpa (upstream issue cmusphinx/pocketsphinx#502,
 * fixed there by writing the true counts). This wrapper of the exported
 * lm_trie_fill_raw_ngram, which the writer calls through the PLT with
 * counts = base->n_counts, lowers the count to what the walk found, so the
 * writer sorts and writes exactly the n-grams that exist, and reports the
 * change on stderr; scripts/make-lm.sh then fixes the `ngram N=` line the
 * writer printed before walking. Built and used by scripts/make-lm.sh. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef struct
{
  uint32_t begin, end;
} node_range;

typedef void (*fill_fn) (void *trie, void *raw, uint32_t * idx,
    uint32_t * counts, node_range range, uint32_t * hist, int n_hist,
    int order, int max_order);

void lm_trie_fill_raw_ngram (void *trie, void *raw, uint32_t * idx,
    uint32_t * counts, node_range range, uint32_t * hist, int n_hist,
    int order, int max_order);

void
lm_trie_fill_raw_ngram (void *trie, void *raw, uint32_t * idx,
    uint32_t * counts, node_range range, uint32_t * hist, int n_hist,
    int order, int max_order)
{
  static fill_fn real;
  if (!real)
    real = (fill_fn) dlsym (RTLD_NEXT, "lm_trie_fill_raw_ngram");
  real (trie, raw, idx, counts, range, hist, n_hist, order, max_order);
  if (n_hist == 0 && *idx != counts[order - 1]) {
    fprintf (stderr, "lm-convert-shim: ngram %d=%u (header said %u)\n",
        order, *idx, counts[order - 1]);
    if (*idx < counts[order - 1])
      counts[order - 1] = *idx;
  }
}
