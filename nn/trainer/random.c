/* dltrain - random permutations and SpecAugment masks shared by the
 * trainers (see dltrain.h). */
#include "dltrain.h"

void
dt_permutation (int *a, int n, dlnn_rng * r)
{
  for (int i = 0; i < n; i++)
    a[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int) dlnn_rng_below (r, (uint32_t) i + 1);
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

#define SPEC_MAX_BANDS 7
#define SPEC_MAX_FRAMES 20

void
dt_spec_augment (float *x, int frames, int bands, const float *fill,
    int masks, dlnn_rng * r)
{
  const int tmax = frames / 10 < SPEC_MAX_FRAMES ? frames / 10 :
      SPEC_MAX_FRAMES;

  for (int k = 0; k < masks; k++) {
    int w = (int) dlnn_rng_below (r, SPEC_MAX_BANDS + 1);
    int m0;
    if (w > bands)
      w = bands;
    m0 = (int) dlnn_rng_below (r, (uint32_t) (bands - w + 1));
    for (int t = 0; t < frames; t++)
      for (int m = m0; m < m0 + w; m++)
        x[(int64_t) t * bands + m] = fill[m];
  }
  for (int k = 0; k < masks && tmax > 0; k++) {
    int w = (int) dlnn_rng_below (r, (uint32_t) tmax + 1);
    int t0 = (int) dlnn_rng_below (r, (uint32_t) (frames - w + 1));
    for (int t = t0; t < t0 + w; t++)
      for (int m = 0; m < bands; m++)
        x[(int64_t) t * bands + m] = fill[m];
  }
}
