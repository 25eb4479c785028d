/* libdlnn - JSGF grammars for constrained CTC decoding.
 *
 * A grammar is read from the subset of JSGF (Java Speech Grammar Format)
 * that CMU Sphinx uses:
 *   #JSGF V1.0 [encoding [locale]];      header, first (case-insensitive)
 *   grammar NAME;
 *   [public] <rule> = EXPANSION;         rules, in any order
 * EXPANSION: alternatives `a | b`, sequences `a b`, groups `( )`,
 * optionals `[ ]`, repetitions `x*` and `x+`, rule references `<rule>`
 * (also `<NAME.rule>` for this grammar), the special rules <NULL> (the
 * empty sequence) and <VOID> (nothing), words (any run of characters other
 * than white space and ;=|*+<>()[]{}/") and quoted tokens "two words" (a
 * sequence of the words inside). Weights `/2.5/` before an alternative and
 * tags `{...}` after an item are accepted and ignored; so are `//` and
 * block comments. Not supported (errors): `import`, recursive rules (a rule
 * that refers to itself, directly or through others: repeat with * or +
 * instead). Words are lower-cased (ASCII). The sentences of the grammar
 * are those of all its public rules.
 *
 * The grammar is compiled to a word-level finite-state automaton without
 * epsilon arcs (the position automaton of the expanded expression: one
 * state per word occurrence plus the start state 0). Errors
 * (DLNN_ERR_FORMAT) read "FILE:LINE: cause".
 *
 * For decoding, dlnn_grammar_ctc_vocab() turns the automaton into a
 * dlnn_ctc_vocab for dlnn_ctc_beam_cfg.vocab: the automaton is made
 * deterministic (a decoder state is a set of automaton states) and, per
 * state, the words allowed next are spelled with the model's labels in a
 * prefix tree, so a hypothesis carries its state set and the partial word
 * as a prefix of a word allowed next; after a word, the word boundary moves
 * it to the state set the word leads to; a final hypothesis must end (after
 * a complete word, with an optional trailing boundary) in an accepting
 * state. */
#ifndef DLNN_GRAMMAR_H
#define DLNN_GRAMMAR_H

#include <stdint.h>
#include "status.h"
#include "ctc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlnn_grammar dlnn_grammar;

/* One arc of the word automaton: reading word @word moves to state @to. */
typedef struct dlnn_grammar_arc
{
  int32_t word;
  int32_t to;
} dlnn_grammar_arc;

/* Reads and compiles a JSGF file. NULL on error (message in @st). */
DLNN_API dlnn_grammar *dlnn_grammar_load (const char *path,
    dlnn_status * st);
/* The same from @len bytes of @text; @name (may be NULL) names it in
 * messages in place of the file. */
DLNN_API dlnn_grammar *dlnn_grammar_parse (const char *text, size_t len,
    const char *name, dlnn_status * st);
DLNN_API void dlnn_grammar_free (dlnn_grammar * g);

/* The name declared by `grammar NAME;` (borrowed). */
DLNN_API const char *dlnn_grammar_name (const dlnn_grammar * g);
/* Distinct words, ids 0 .. n_words - 1 in order of first use. */
DLNN_API int32_t dlnn_grammar_n_words (const dlnn_grammar * g);
/* Text of word @id (lower-cased, NUL-terminated, borrowed), NULL if out of
 * range; *line (optional) gets the line of its first use. */
DLNN_API const char *dlnn_grammar_word (const dlnn_grammar * g, int32_t id,
    int *line);
/* States 0 .. n_states - 1; 0 is the start. */
DLNN_API int32_t dlnn_grammar_n_states (const dlnn_grammar * g);
DLNN_API int dlnn_grammar_is_final (const dlnn_grammar * g, int32_t state);
/* Arcs leaving @state, sorted by word then target (borrowed); their count
 * (0 for a bad state). */
DLNN_API int64_t dlnn_grammar_arcs (const dlnn_grammar * g, int32_t state,
    const dlnn_grammar_arc ** arcs);
/* 1 if the @n words (compared after ASCII lower-casing) are a sentence of
 * the grammar, else 0. */
DLNN_API int dlnn_grammar_accepts (const dlnn_grammar * g,
    const char *const *words, int64_t n);

/* Decoding constraint for a CTC model with @n_labels output labels
 * (dl.labels; @labels[k] the UTF-8 text of class k), blank class @blank
 * and word boundary class @boundary (the label " "; required). Each word
 * is spelled greedily with the longest label matching at each position
 * (the blank and boundary are never used); a word that cannot be spelled
 * is an error naming it and its line. The result is owned by the caller
 * (dlnn_ctc_vocab_free) and does not refer to @g or @labels. */
DLNN_API dlnn_ctc_vocab *dlnn_grammar_ctc_vocab (const dlnn_grammar * g,
    const char *const *labels, int64_t n_labels, int blank,
    int32_t boundary, dlnn_status * st);

#ifdef __cplusplus
}
#endif
#endif
