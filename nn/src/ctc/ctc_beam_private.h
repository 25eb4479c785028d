/* CTC prefix beam search internals shared by ctc_beam.c (search) and
 * ctc_beam_lm.c (language-model scoring). */
#ifndef DLNN_CTC_BEAM_PRIVATE_H
#define DLNN_CTC_BEAM_PRIVATE_H

#include "ctc_private.h"

typedef struct beam_node
{
  int32_t parent, token, first_child, next_sibling;
  int32_t vstate;               /* vocabulary trie state */
  int32_t frame, depth;
  float conf;
  int64_t stamp;                /* frame stamp when slot is valid */
  int32_t slot;                 /* candidate index in that frame */
  double lm;                    /* LM score of the completed words */
  int32_t hist[DLNN_CTC_LM_MAX_ORDER - 1];     /* last words, oldest first */
  int32_t n_hist;
} beam_node;

typedef struct beam_cand
{
  int32_t node;                 /* -1: new prefix parent + token */
  int32_t parent, token, vstate;
  float conf;                   /* posterior of token at an emission */
  double pb, pnb;
  /* Mass carried over from the previous frame (stay) and mass of fresh
   * emissions of the last token at this frame (ext): when ext dominates,
   * the token's time moves to this frame. */
  double pstay, pext;
  double lm;                    /* LM score of the prefix */
  int32_t wid;                  /* word completed by token: id, -1 OOV
                                   without <unk>, -2 none */
} beam_cand;

typedef struct beam_rank
{
  double score;
  int32_t idx;
} beam_rank;

struct dlnn_ctc_beam
{
  dlnn_ctc_beam_cfg cfg;
  beam_node *nodes;
  int64_t n_nodes, cap_nodes;
  int32_t *beam;
  double *beam_pb, *beam_pnb;
  int n_beam;
  beam_cand *cands;
  beam_rank *rank;
  int64_t cap_cands;
  double *lp;                   /* the frame's scores (offsets applied) */
  double *post;                 /* its log-posteriors (for confidences) */
  int64_t frames;
  dlnn_ctc_token *res_tokens;
  int64_t *res_len;
  float *res_logp, *res_share, *res_am, *res_lm;
  float *res_tmp;               /* 2 per hypothesis: am, lm before sort */
  int32_t *res_src;             /* beam index per hypothesis before sort */
  int n_res;
  /* Language model (cfg.lm non-NULL): resolved boundary, word buffer. */
  int32_t boundary;
  char *word;
  size_t word_cap;
};

/* Resolves the LM word boundary and allocates the word buffer. */
dlnn_code dlnn_ctc_beam_lm_init (dlnn_ctc_beam * b, dlnn_status * st);
/* Text of the word ending at node @h into b->word; its length. */
size_t dlnn_ctc_beam_word (const dlnn_ctc_beam * b, int32_t h);
/* lm_weight * ln P (word | history of @h) + word_bonus; *wid its id. */
double dlnn_ctc_beam_word_score (const dlnn_ctc_beam * b, int32_t h,
    size_t len, int32_t * wid);
/* History of @parent followed by word @wid (-2: none, -1: OOV) into @nd. */
void dlnn_ctc_beam_hist (const dlnn_ctc_beam * b, const beam_node * parent,
    int32_t wid, beam_node * nd);
/* LM score a final hypothesis ending at @h adds (last word, </s>). */
double dlnn_ctc_beam_final_lm (dlnn_ctc_beam * b, int32_t h);

#endif
