/* dltrain - `fit` command line. */
#include "fit.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void
fit_usage (FILE * f)
{
  fprintf (f,
      "Usage: dltrain fit --data PATH --output MODEL.onnx [options]\n"
      "\n"
      "Trains an image classifier and writes it as ONNX with dl.* metadata\n"
      "(labels, preprocessing, provenance, metrics), a training curve\n"
      "MODEL-curve.png and a checkpoint per epoch.\n"
      "\n"
      "Task:\n"
      "  --task classify|speech|tag   image classifier (default), CTC speech\n"
      "                         recogniser, multi-label audio tagger\n"
      "\n"
      "Data:\n"
      "  --data PATH            IDX directory (train-* for training, t10k-*\n"
      "                         evaluated at the end when present), an IDX\n"
      "                         images file, or a folder of class folders\n"
      "  --format idx|folder    data format (default: detected)\n"
      "  --labels FILE          class names, one per line (default: folder\n"
      "                         names, or 0..9 for IDX)\n"
      "  --limit N              use only the first N training images\n"
      "  --val-split F          fraction held out for validation (0.1)\n"
      "  --image-size WxH       folder: network input size (default: the\n"
      "                         images' size when all agree, else 64x64)\n"
      "  --color gray|rgb       folder: input colour (default: detected)\n"
      "  --augment none|shift|shift,flip|flip   (default none)\n"
      "\n"
      "Model:\n"
      "  --arch mlp|cnn-small|vgg|crnn   architecture (default vgg)\n"
      "  --width N              vgg base width (default 32)\n"
      "\n"
      "Speech (--task speech; --data a TSV manifest 'path<TAB>transcript'\n"
      "or a LibriSpeech tree of */*/*.trans.txt + flac):\n"
      "  --arch gru|lstm        recurrent layers (default gru)\n"
      "  --width N              recurrent hidden size (default 256)\n"
      "  --layers N             recurrent layers (default 3)\n"
      "  --val-data MANIFEST    validation corpus (default: --val-split)\n"
      "  --audio DL.AUDIO       front end (default rate=16000;n_mels=40)\n"
      "  --clip-norm F          global gradient-norm limit, 0 off\n"
      "                         (default 5; batch size default 32)\n"
      "  --spec-augment N       speech and tag: N frequency and N time\n"
      "                         masks per training utterance or clip\n"
      "                         (SpecAugment; tag: with --augment shift),\n"
      "                         0 off (default 2)\n"
      "  --init MODEL.onnx      start from the parameters of a speech model\n"
      "                         of the same shape (continue or fine-tune\n"
      "                         with a new schedule; default: random)\n"
      "\n"
      "Optimisation:\n"
      "  --epochs N             (default 10)\n"
      "  --batch-size N         (default 128)\n"
      "  --optimizer sgd|adam|adamw   (default adamw)\n"
      "  --lr F                 peak learning rate (default 0.05 for sgd,\n"
      "                         0.001 for adam and adamw)\n"
      "  --min-lr F             cosine floor (default lr / 100)\n"
      "  --momentum F           sgd momentum (default 0.9)\n"
      "  --nesterov             sgd: Nesterov momentum\n"
      "  --weight-decay F       (default 5e-4 sgd, 0 adam, 0.05 adamw)\n"
      "  --schedule cosine|step|constant   (default cosine; step: x0.1\n"
      "                         after each third of the epochs)\n"
      "  --warmup-epochs F      linear warm-up (default 0)\n"
      "  --label-smoothing F    (default 0)\n"
      "  --seed N               seed for init, split, shuffling (default 1)\n"
      "  --threads N            math threads (default: all cores)\n"
      "\n"
      "Output:\n"
      "  --output MODEL.onnx    the model (written atomically)\n"
      "  --checkpoint-dir DIR   (default MODEL.ckpt next to the model)\n"
      "  --resume               continue from the last checkpoint\n"
      "  --stop-after N         stop (as if interrupted) after N epochs of\n"
      "                         this run, leaving the checkpoint\n"
      "  --quiet                no progress bar or per-epoch lines\n"
      "  -h, --help             show this help\n");
}

enum
{
  OPT_DATA = 256, OPT_FORMAT, OPT_OUTPUT, OPT_ARCH, OPT_WIDTH, OPT_EPOCHS,
  OPT_BATCH, OPT_LR, OPT_MIN_LR, OPT_OPTIM, OPT_MOMENTUM, OPT_NESTEROV,
  OPT_WD, OPT_SCHEDULE, OPT_WARMUP, OPT_SMOOTH, OPT_SEED, OPT_AUGMENT,
  OPT_VAL, OPT_THREADS, OPT_LABELS, OPT_LIMIT, OPT_CKPT, OPT_RESUME,
  OPT_QUIET, OPT_SIZE, OPT_COLOR, OPT_STOP, OPT_TASK, OPT_VAL_DATA,
  OPT_AUDIO, OPT_CLIP, OPT_LAYERS, OPT_SPEC, OPT_INIT
};

static int
parse_size (const char *s, int *w, int *h)
{
  char *end;
  long a = strtol (s, &end, 10), b;
  if (end == s || (*end != 'x' && *end != 'X'))
    return 0;
  s = end + 1;
  b = strtol (s, &end, 10);
  if (end == s || *end || a < 4 || b < 4 || a > 1024 || b > 1024)
    return 0;
  *w = (int) a;
  *h = (int) b;
  return 1;
}

int
dt_fit_parse (int argc, char **argv, dt_fit_opts * o)
{
  static const struct option opts[] = {
    {"task", required_argument, NULL, OPT_TASK},
    {"val-data", required_argument, NULL, OPT_VAL_DATA},
    {"audio", required_argument, NULL, OPT_AUDIO},
    {"clip-norm", required_argument, NULL, OPT_CLIP},
    {"spec-augment", required_argument, NULL, OPT_SPEC},
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"init", required_argument, NULL, OPT_INIT},
    {"data", required_argument, NULL, OPT_DATA},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"arch", required_argument, NULL, OPT_ARCH},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch-size", required_argument, NULL, OPT_BATCH},
    {"lr", required_argument, NULL, OPT_LR},
    {"min-lr", required_argument, NULL, OPT_MIN_LR},
    {"optimizer", required_argument, NULL, OPT_OPTIM},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"nesterov", no_argument, NULL, OPT_NESTEROV},
    {"weight-decay", required_argument, NULL, OPT_WD},
    {"schedule", required_argument, NULL, OPT_SCHEDULE},
    {"warmup-epochs", required_argument, NULL, OPT_WARMUP},
    {"label-smoothing", required_argument, NULL, OPT_SMOOTH},
    {"seed", required_argument, NULL, OPT_SEED},
    {"augment", required_argument, NULL, OPT_AUGMENT},
    {"val-split", required_argument, NULL, OPT_VAL},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"labels", required_argument, NULL, OPT_LABELS},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"checkpoint-dir", required_argument, NULL, OPT_CKPT},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"stop-after", required_argument, NULL, OPT_STOP},
    {"image-size", required_argument, NULL, OPT_SIZE},
    {"color", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  int opt, lr_set = 0, wd_set = 0;
  long l;
  double d;

  memset (o, 0, sizeof (*o));
  o->arch = DT_ARCH_VGG;
  o->width = 0;                 /* task default below */
  o->epochs = 10;
  o->batch = 0;                 /* task default below */
  o->clip_norm = -1;            /* task default below */
  o->spec_masks = 2;
  o->min_lr = -1;
  o->optim = DLNN_OPTIM_ADAMW;
  o->momentum = 0.9;
  o->schedule = DLNN_SCHEDULE_COSINE;
  o->seed = 1;
  o->val_split = 0.1;
  o->argc = argc;
  o->argv = argv;

  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, ":h", opts, NULL)) != -1) {
    switch (opt) {
      case OPT_TASK:
        if (!strcmp (optarg, "classify"))
          o->task = DT_TASK_CLASSIFY;
        else if (!strcmp (optarg, "speech"))
          o->task = DT_TASK_SPEECH;
        else if (!strcmp (optarg, "tag"))
          o->task = DT_TASK_TAG;
        else
          return dt_fail ("--task must be classify, speech or tag, not '%s'",
              optarg);
        break;
      case OPT_DATA:
        o->data = optarg;
        break;
      case OPT_FORMAT:
        if (strcmp (optarg, "idx") && strcmp (optarg, "folder"))
          return dt_fail ("--format must be idx or folder, not '%s'", optarg);
        o->format = optarg;
        break;
      case OPT_OUTPUT:
        o->output = optarg;
        break;
      case OPT_ARCH:
        /* checked after the loop: the names depend on --task */
        o->arch_name = optarg;
        break;
      case OPT_WIDTH:
        if (!dt_parse_int ("--width", optarg, 1, 1024, &l))
          return 1;
        o->width = (int) l;
        break;
      case OPT_VAL_DATA:
        o->val_data = optarg;
        break;
      case OPT_AUDIO:
        o->audio = optarg;
        break;
      case OPT_CLIP:
        if (!dt_parse_float ("--clip-norm", optarg, 0, 1e12, &o->clip_norm))
          return 1;
        break;
      case OPT_SPEC:
        if (!dt_parse_int ("--spec-augment", optarg, 0, 16, &l))
          return 1;
        o->spec_masks = (int) l;
        break;
      case OPT_INIT:
        o->init = optarg;
        break;
      case OPT_LAYERS:
        if (!dt_parse_int ("--layers", optarg, 1, 16, &l))
          return 1;
        o->layers = (int) l;
        break;
      case OPT_EPOCHS:
        if (!dt_parse_int ("--epochs", optarg, 1, 10000, &l))
          return 1;
        o->epochs = (int) l;
        break;
      case OPT_BATCH:
        if (!dt_parse_int ("--batch-size", optarg, 1, 65536, &l))
          return 1;
        o->batch = (int) l;
        break;
      case OPT_LR:
        if (!dt_parse_float ("--lr", optarg, 0, 1e12, &o->lr))
          return 1;
        if (!(o->lr > 0))
          return dt_fail ("--lr must be positive");
        lr_set = 1;
        break;
      case OPT_MIN_LR:
        if (!dt_parse_float ("--min-lr", optarg, 0, 1e12, &o->min_lr))
          return 1;
        break;
      case OPT_OPTIM:
        if (strcmp (optarg, "sgd") == 0)
          o->optim = DLNN_OPTIM_SGD;
        else if (strcmp (optarg, "adam") == 0)
          o->optim = DLNN_OPTIM_ADAM;
        else if (strcmp (optarg, "adamw") == 0)
          o->optim = DLNN_OPTIM_ADAMW;
        else
          return dt_fail ("--optimizer must be sgd, adam or adamw, not '%s'",
              optarg);
        break;
      case OPT_MOMENTUM:
        if (!dt_parse_float ("--momentum", optarg, 0, 0.999999, &o->momentum))
          return 1;
        break;
      case OPT_NESTEROV:
        o->nesterov = 1;
        break;
      case OPT_WD:
        if (!dt_parse_float ("--weight-decay", optarg, 0, 10,
                &o->weight_decay))
          return 1;
        wd_set = 1;
        break;
      case OPT_SCHEDULE:
        if (strcmp (optarg, "cosine") == 0)
          o->schedule = DLNN_SCHEDULE_COSINE;
        else if (strcmp (optarg, "step") == 0)
          o->schedule = DLNN_SCHEDULE_STEP;
        else if (strcmp (optarg, "constant") == 0)
          o->schedule = DLNN_SCHEDULE_CONSTANT;
        else
          return dt_fail ("--schedule must be cosine, step or constant, "
              "not '%s'", optarg);
        break;
      case OPT_WARMUP:
        if (!dt_parse_float ("--warmup-epochs", optarg, 0, 10000,
                &o->warmup_epochs))
          return 1;
        break;
      case OPT_SMOOTH:
        if (!dt_parse_float ("--label-smoothing", optarg, 0, 0.99,
                &o->label_smoothing))
          return 1;
        break;
      case OPT_SEED:
        if (!dt_parse_int ("--seed", optarg, 0, 0x7fffffffL, &l))
          return 1;
        o->seed = (uint64_t) l;
        break;
      case OPT_AUGMENT:
        if (strcmp (optarg, "none") == 0)
          o->aug_shift = o->aug_flip = 0;
        else if (strcmp (optarg, "shift") == 0 || strcmp (optarg, "crop") == 0)
          o->aug_shift = 1;
        else if (strcmp (optarg, "flip") == 0)
          o->aug_flip = 1;
        else if (strcmp (optarg, "shift,flip") == 0
            || strcmp (optarg, "flip,shift") == 0)
          o->aug_shift = o->aug_flip = 1;
        else
          return dt_fail ("--augment must be none, shift, flip or shift,flip,"
              " not '%s'", optarg);
        break;
      case OPT_VAL:
        if (!dt_parse_float ("--val-split", optarg, 0, 0.9, &o->val_split))
          return 1;
        break;
      case OPT_THREADS:
        if (!dt_parse_int ("--threads", optarg, 0, 256, &l))
          return 1;
        o->threads = (int) l;
        break;
      case OPT_LABELS:
        o->labels_file = optarg;
        break;
      case OPT_LIMIT:
        if (!dt_parse_int ("--limit", optarg, 1, 1L << 30, &l))
          return 1;
        o->limit = (int) l;
        break;
      case OPT_CKPT:
        o->ckpt_dir = optarg;
        break;
      case OPT_RESUME:
        o->resume = 1;
        break;
      case OPT_QUIET:
        o->quiet = 1;
        break;
      case OPT_STOP:
        if (!dt_parse_int ("--stop-after", optarg, 1, 10000, &l))
          return 1;
        o->stop_after = (int) l;
        break;
      case OPT_SIZE:
        if (!parse_size (optarg, &o->img_w, &o->img_h))
          return dt_fail ("--image-size must be WxH with sides 4..1024, not "
              "'%s'", optarg);
        break;
      case OPT_COLOR:
        if (strcmp (optarg, "gray") && strcmp (optarg, "rgb"))
          return dt_fail ("--color must be gray or rgb, not '%s'", optarg);
        o->color = optarg;
        break;
      case 'h':
        fit_usage (stdout);
        return 2;
      case ':':
        return dt_fail ("fit: option '%s' needs a value", argv[optind - 1]);
      default:
        return dt_fail ("fit: unknown option '%s' (see dltrain fit --help)",
            argv[optind - 1]);
    }
  }
  if (optind < argc)
    return dt_fail ("fit: unexpected argument '%s'", argv[optind]);
  if (o->task != DT_TASK_SPEECH && o->arch_name
      && !dt_arch_parse (o->arch_name, &o->arch))
    return dt_fail ("--arch must be mlp, cnn-small, vgg or crnn, not "
        "'%s'", o->arch_name);
  if (o->task == DT_TASK_SPEECH && o->arch_name
      && strcmp (o->arch_name, "gru") && strcmp (o->arch_name, "lstm"))
    return dt_fail ("--arch must be gru or lstm for --task speech, not "
        "'%s'", o->arch_name);
  if (o->init && o->task != DT_TASK_SPEECH)
    return dt_fail ("--init is for --task speech only");
  if (!o->data)
    return dt_fail ("fit: --data PATH is required (see dltrain fit --help)");
  if (!o->output)
    return dt_fail ("fit: --output MODEL.onnx is required");
  if (!o->width)
    o->width = o->task == DT_TASK_SPEECH ? 256 : 32;
  if (!o->batch)
    o->batch = o->task == DT_TASK_SPEECH ? 32 : 128;
  if (o->clip_norm < 0)
    o->clip_norm = o->task == DT_TASK_SPEECH ? 5 : 0;
  if (!o->layers)
    o->layers = 3;
  if (!lr_set)
    o->lr = o->optim == DLNN_OPTIM_SGD ? 0.05 : 0.001;
  if (!wd_set)
    o->weight_decay = o->optim == DLNN_OPTIM_SGD ? 5e-4 :
        o->optim == DLNN_OPTIM_ADAMW ? 0.05 : 0.0;
  if (o->min_lr < 0)
    o->min_lr = o->lr / 100;
  d = o->warmup_epochs;
  if (d > o->epochs)
    return dt_fail ("--warmup-epochs %g exceeds --epochs %d", d, o->epochs);
  return 0;
}
