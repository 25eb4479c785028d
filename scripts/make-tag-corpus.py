#!/usr/bin/python3
"""Build a multi-label audio event corpus from recordings in Debian main.

Tags: speech, music, silence, noise, applause. Clips are --clip-sec long
(1.0 s), 16 kHz mono 16-bit WAV, written to clips/{train,val}/NNNNNN.wav
with manifests train.tsv / val.tsv ("path<TAB>tag1,tag2", path relative
to the manifest's directory, no header).

Sources (all real recordings unless said otherwise):
- music: wesnoth-1.16-music, warzone2100-music and lincity-ng-data game
  music tracks (decoded with gst-launch-1.0: the first 160 KB of each
  file, 6-12 s; for train / val --music-kb, e.g. 1536: about a
  minute), and
  for train / val only xmoto-data's tracks and EXTRA_MUSIC2: the music of
  frozen-bubble-data, neverball-data and extremetuxracer-data and
  sonic-pi-samples' melodic loops;
- applause: lincity-ng-data SportsCroud{1,2,3}.wav (a cheering, clapping
  crowd), frozen-bubble-data applause.ogg, openttd-opensfx's "Applause"
  (an entry of opensfx.cat, read by opensfx_entry), a tenth of the
  applause clips low-passed at 1.5-3 kHz (distant crowds), crowds
  assembled from the
  real single claps/snaps of sonic-pi-samples (perc_snap, perc_snap2):
  hundreds of randomly timed, filtered and scaled copies, and generated
  applause (crowds of band-passed noise bursts, synth_applause);
- noise: generated white / pink / brown noise, mains hum and noise of a
  random spectral slope, band and slow modulation (synth_noise), generated
  tonal / rhythmic machine noise (a fixed hum with harmonics, pulsed at a
  steady rate: synth_machine), plus real non-music effects of
  lincity-ng-data (traffic, water, fire, industry, mills, trains, ...),
  openttd-opensfx (planes, jets, helicopter, buses, trains, mining
  machinery, jackhammer, saws, wind, bubbles, level crossing: OPENSFX_NOISE),
  extremetuxracer-data's slide sounds (snow, ice, grass, rock, mud) and
  sonic-pi-samples vinyl_hiss; for train / val only (EXTRA_NOISE, never
  in the bench split, which was fixed before they were added): the
  ambiences and effects of wesnoth-1.16-data (birds, campfire, night,
  ship, rumble, fire, water, explosions), minetest-data (water, lava,
  fire, furnace, cart), trigger-rally-data (car engine, gravel, wind) and
  warzone2100-data (buildings, vehicles, construction); and for train /
  val only, sequences of short real effects (EVENT_NOISE: weapon blows,
  digging, steps, doors, shots, clicks of wesnoth-1.16-data,
  minetest-data, warzone2100-data, frozen-bubble-data, neverball-data,
  pingus-data and sonic-pi-samples, laid out at random or steady rates
  by event_noise, over a quieter background);
- speech: synthesised with espeak-ng, flite and festival (voices and text
  helpers of scripts/make-speech-corpus.py, fortune cookie text; a share,
  PAUSED_SPEECH, as one utterance with a 0.2-0.7 s pause over a room tone
  between two sentences, as real recordings pause: paused_speech) and real
  recordings of pocketsphinx-testdata (cards/*.wav, tidigits) that the
  benchmark does not use;
- silence: digital zero and very low noise (-90..-60 dBFS);
- with --more-sources (T9, issue 5; train / val only): openttd-openmsx's
  31 MIDI songs rendered by fluidsynth with fluid-soundfont-gm's or
  timgm6mb-soundfont's General MIDI sounds (MIDI_MUSIC, their first
  MIDI_SEC s), tuxfootball's title music, real applause of tennix (its
  tennix.tnx archive) and foobillardplus-data for val and tuxfootball's
  cheering crowd for train (APPLAUSE2), and effects as hard negatives for
  music: whistles, kicks, billiard balls, rackets (EVENT_NOISE2) and rain
  (EXTRA_NOISE2). Packages: fluidsynth fluid-soundfont-gm openttd-openmsx
  tennix tuxfootball foobillardplus-data.
- with --real-speech (T11, issue 5; train / val only): the real recorded
  speech that scripts/make-real-speech.py reads from Debian main (the
  voices of warzone2100, asterisk's prompts, ktuberling's and tuxpaint's
  words for train; alsa-utils' speaker test, klettres' syllables and
  OpenArena's RottKing for val: whole families, speakers never in both),
  a share (REAL_WORDS_SHARE) of the speech clips as one family's clips
  said in a row with short pauses over a room tone (real_utterance), and
  two such utterances per val family in the validation stream. The
  bench's speech (pocketsphinx-testdata) is never read.
Multi-label clips mix speech over music, applause or noise, and music with
applause, at random levels. Every clip gets a random gain, a third of them
a random low-pass (so band-limited sources do not give their tag away).

Splits are made per source: a music track, effect file, synthesis voice or
recording is in exactly one of train, val and bench (never frames of one
track in two splits). Validation holds out whole kinds of sound, as the
bench does: the non-bench effects of the original pool go to train or val
by family (effect_family: LinCity's Water1..5 or TraficHigh/Low are one
family; split_effects), EXTRA_NOISE by numbered family, and val's real
applause is another package's crowd (OpenSFX) than training's (LinCity),
so that validation figures measure sounds never trained on. The bench
split (music tracks, effects and applause kept out of training and
validation) is written as bench/*.wav with
bench.tsv ("path<TAB>tag") for bench/bench-tags.py, which adds the real
recorded speech of pocketsphinx-testdata (goforward, numbers, something,
librivox). Sources added later (EXTRA_NOISE, EXTRA_MUSIC_GLOBS, EXTRA_MUSIC2,
EVENT_NOISE) go to train or val only (split_trainval), so that the bench stream stays the
same. valstream/*.wav with valstream.tsv hold the val split's recordings
(music, applause, real effects, generated noise, sequences of its short
effects, real and synthesised speech of val voices, utterances with
0.2-1.0 s pauses, applause over music, speech over effects) for a validation
stream composed like the bench's
(bench/bench-tags.py --stream valstream, scripts/tune-tag-thresholds.py).
corpus.json: counts per split and tag, sources per split.

  /usr/bin/python3 scripts/make-tag-corpus.py --out tagcorpus --clips 3000
"""

import argparse
import glob
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave
import zipfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

RATE = 16000
TAGS = ["speech", "music", "silence", "noise", "applause"]

HERE = os.path.dirname (os.path.abspath (__file__))
_spec = importlib.util.spec_from_file_location (
    "make_speech_corpus", os.path.join (HERE, "make-speech-corpus.py"))
msc = importlib.util.module_from_spec (_spec)
_spec.loader.exec_module (msc)
_spec = importlib.util.spec_from_file_location (
    "make_real_speech", os.path.join (HERE, "make-real-speech.py"))
msr = importlib.util.module_from_spec (_spec)
_spec.loader.exec_module (msr)

MUSIC_GLOBS = ["/usr/share/games/wesnoth/1.16/data/core/music/*.ogg",
               "/usr/share/games/warzone2100/music/**/*.opus",
               "/usr/share/games/lincity-ng/music/**/*.ogg"]
LINCITY = "/usr/share/games/lincity-ng/sounds/"
SONICPI = "/usr/share/sonic-pi/samples/"
OPENSFX = "/usr/share/games/openttd/baseset/opensfx/opensfx.cat"
ETR = "/usr/share/games/etr/sounds/"
# real applause, whole files per split; the bench gets two different
# crowds (one of them the band-limited frozen-bubble clip)
# (val: a crowd of another package, as the bench's frozen-bubble one is,
# not a sibling of a training recording)
APPLAUSE = {"train": [LINCITY + "SportsCroud1.wav", LINCITY +
                      "SportsCroud2.wav"],
            "val": ["opensfx:29"],
            "bench": [LINCITY + "SportsCroud3.wav",
                      "/usr/share/games/frozen-bubble/snd/applause.ogg"]}
# OpenSFX entries (openttd-opensfx, CC-BY / CC0) that are machine, vehicle,
# wind or water noise: planes, mining machinery, sparks, steam, level
# crossing bell, helicopter, buses, jackhammer, sawmill, bubbles, wind,
# chainsaw, jets, trains
OPENSFX_NOISE = [4, 8, 9, 10, 11, 12, 13, 14, 24, 25, 27, 28, 33, 40, 51,
                 52, 55, 56, 57, 59, 61, 65, 69, 71]
ETR_NOISE = ["grass_slide", "ice_slide", "leaves_slide", "mud_slide",
             "rock_slide", "snow_slide"]
CLAPS = {"train": [SONICPI + "perc_snap.flac"],
         "val": [SONICPI + "perc_snap2.flac"]}
# effects without voices or music in them
NOISE_PREFIXES = ["TraficHigh", "TraficLow", "Water", "Fire", "IndustryHigh",
                  "IndustryLight", "Mill", "RailTrain", "WindMill",
                  "PowerCoal", "CoalMine", "OreMine", "Blacksmith", "Build",
                  "Raze", "Rocket", "Substation", "DirtTrack", "Tip",
                  "Recycle"]
# More real noise, added after the bench split was fixed: these sources go
# to train or val only (split_trainval), never to the bench, so that the
# bench stream stays the one earlier figures were measured on. Wesnoth's
# ambiences and effects (wesnoth-1.16-data: birds, campfire, night,
# ship, rumble, cave-in, fire, water, explosion), Minetest's (minetest-data:
# water, lava, fire, furnace, cart), Trigger Rally's car engine, gravel and
# wind (trigger-rally-data, members of data.zip) and Warzone 2100's
# building, vehicle and construction effects (warzone2100-data, members of
# base.wz). "zip:ARCHIVE:MEMBER" names a member of a zip archive.
WESNOTH_SND = "/usr/share/games/wesnoth/1.16/data/core/sounds/"
MINETEST = "/usr/share/games/minetest/games/minetest_game/mods/"
TRIGGER = "zip:/usr/share/games/trigger-rally/data.zip:sounds/"
WZ = "zip:/usr/share/games/warzone2100/base.wz:audio/sfx/"
EXTRA_NOISE = (
    [WESNOTH_SND + "ambient/" + f for f in (
        "birds1.ogg", "birds2.ogg", "birds3.ogg", "campfire.ogg",
        "morning.ogg", "night.ogg", "ship.ogg")] +
    [WESNOTH_SND + f for f in ("rumble.ogg", "cave-in.ogg", "fire.wav",
                               "water-blast.wav", "explosion.ogg",
                               "flame-big.ogg", "fuse.ogg")] +
    [MINETEST + f for f in (
        "env_sounds/sounds/env_sounds_water.1.ogg",
        "env_sounds/sounds/env_sounds_water.2.ogg",
        "env_sounds/sounds/env_sounds_water.3.ogg",
        "env_sounds/sounds/env_sounds_water.4.ogg",
        "env_sounds/sounds/env_sounds_lava.1.ogg",
        "env_sounds/sounds/env_sounds_lava.2.ogg",
        "fire/sounds/fire_fire.1.ogg", "fire/sounds/fire_fire.2.ogg",
        "fire/sounds/fire_fire.3.ogg", "fire/sounds/fire_large.ogg",
        "fire/sounds/fire_small.ogg",
        "default/sounds/default_furnace_active.ogg",
        "carts/sounds/carts_cart_moving.1.ogg",
        "carts/sounds/carts_cart_moving.2.ogg",
        "carts/sounds/carts_cart_moving.3.ogg")] +
    [TRIGGER + f for f in ("engine.wav", "gravel.wav", "wind.wav",
                           "bang.wav")] +
    [WZ + f for f in (
        "building/oilpump.ogg", "building/freroar.ogg",
        "building/powerspk.ogg", "building/steam.ogg",
        "building/powerhum.ogg", "vehicle/tflight.ogg", "vehicle/thover.ogg",
        "vehicle/con-move.ogg", "vehicle/cyber-move.ogg",
        "vehicle/vtol-move.ogg", "vehicle/hovmove.ogg", "vehicle/tread.ogg",
        "vehicle/tstart.ogg", "vehicle/tland.ogg", "weapons/bldloop.ogg",
        "weapons/weld-1.ogg", "weapons/flmthrow.ogg",
        "explons/bldfall.ogg", "explons/lrgexpl.ogg")])
# Short real effects (events: blows, steps, digs, shots, clicks, doors),
# added with EXTRA_NOISE2 after the bench split was fixed, train / val only
# (split_trainval over this pool, so EXTRA_NOISE's split is unchanged):
# they are laid out as sequences (event_noise: randomly or steadily timed
# copies over an optional background), the hammering, digging and
# clattering that a stream's effects are and that a looped window of a
# one-shot is not. Wesnoth's weapon sounds (no voices, no magic chimes),
# Minetest's digging, steps and doors, Warzone 2100's weapons and
# explosions, Frozen Bubble's, Neverball's and Pingus's (no voices, no
# jingles) and Sonic Pi's non-musical ones (misc, perc, vinyl, ambi
# noises, a 3D printer).
WESNOTH_EVENTS = ["axe.ogg", "bat-flapping.wav", "bow.ogg", "bow-miss.ogg",
                  "club.ogg", "club-miss.ogg", "crossbow.ogg",
                  "dagger-swish.wav", "dart.wav", "flail.ogg", "fist.ogg",
                  "gunshot.wav", "hatchet.wav", "knife.ogg", "mace.ogg",
                  "mace.wav", "spear.ogg", "spear.wav", "staff.ogg",
                  "sling.ogg", "sword-1.ogg", "throw-1.wav", "throw-2.wav",
                  "throwing-knife.ogg", "thunderstick.ogg", "torch.ogg",
                  "net.wav", "pincers.ogg", "horse-canter.wav",
                  "horse-elf-canter.wav", "open-chest.wav", "miss-1.ogg",
                  "miss-2.ogg", "squishy-hit.wav", "mud-fist.ogg"]
EVENT_NOISE = (
    [WESNOTH_SND + f for f in WESNOTH_EVENTS] +
    [MINETEST + "default/sounds/default_%s.ogg" % f for f in (
        "dig_choppy.1", "dig_choppy.2", "dig_cracky.1", "dig_cracky.2",
        "dig_crumbly", "dig_metal", "dug_metal.1", "dug_node.1",
        "break_glass.1", "break_glass.2", "chest_close", "chest_open",
        "cool_lava.1", "dirt_footstep.1", "glass_footstep",
        "grass_footstep.1", "gravel_dig.1", "gravel_dug.1",
        "gravel_footstep.1", "hard_footstep.1", "ice_dig.1",
        "ice_footstep.1", "metal_footstep.1", "place_node.1",
        "place_node_hard.1", "place_node_metal.1", "sand_footstep.1",
        "snow_footstep.1", "tool_breaks.1", "water_footstep.1",
        "wood_footstep.1", "item_smoke")] +
    [MINETEST + "doors/sounds/doors_%s.ogg" % f for f in (
        "door_close", "door_open", "fencegate_close", "steel_door_close",
        "glass_door_open")] +
    [WZ + f for f in (
        "weapons/rocket.ogg", "weapons/mgbar1.ogg", "weapons/mgbar2.ogg",
        "weapons/lrgcan.ogg", "weapons/medcan.ogg", "weapons/smlcan.ogg",
        "weapons/mgheavy.ogg", "weapons/rapdcan.ogg", "weapons/mortar.ogg",
        "weapons/asltmg.ogg", "weapons/build1.ogg", "weapons/build2.ogg",
        "weapons/build3.ogg", "weapons/weld-2.ogg", "weapons/splash.ogg",
        "explons/richet1.ogg", "explons/richet2.ogg", "explons/smlexpl.ogg",
        "explons/atnkexpl.ogg", "explons/squish.ogg",
        "explons/mpodexpl.ogg", "vehicle/hovstart.ogg",
        "vehicle/con-move-off.ogg", "vehicle/vtolland.ogg",
        "building/ecmtower.ogg")] +
    ["/usr/share/games/frozen-bubble/snd/%s.ogg" % f for f in (
        "typewriter", "launch", "rebound", "stick", "destroy_group",
        "newroot", "malus")] +
    ["/usr/share/games/neverball/snd/%s.ogg" % f for f in (
        "bump", "bumpbig", "bumplil", "fall", "jump", "ball", "tick",
        "tock")] +
    ["/usr/share/games/pingus/data/sounds/%s.wav" % f for f in (
        "digger", "splash", "plop", "plop2", "chink", "tick")] +
    [SONICPI + f + ".flac" for f in (
        "loop_3d_printer", "ambi_sauna", "ambi_soft_buzz", "ambi_glass_rub",
        "ambi_dark_woosh", "ambi_swoosh", "misc_crow", "misc_cineboom",
        "perc_door", "perc_till", "perc_swash", "perc_swoosh",
        "perc_impact1", "perc_impact2", "vinyl_backspin", "vinyl_rewind",
        "vinyl_scratch")])
# more music for train / val only (xmoto-data)
EXTRA_MUSIC_GLOBS = ["/usr/share/games/xmoto/Textures/Musics/*.ogg"]
# and more (train / val only, split_trainval over this pool): the music
# of frozen-bubble-data, neverball-data and extremetuxracer-data, and
# sonic-pi-samples' melodic loops and instrument phrases (not its drum
# loops, nor loop_3d_printer, an effect of EVENT_NOISE)
EXTRA_MUSIC2 = (
    ["/usr/share/games/frozen-bubble/snd/%s.ogg" % f for f in (
        "frozen-mainzik-1p", "frozen-mainzik-2p", "introzik")] +
    ["/usr/share/games/neverball/bgm/%s.ogg" % f for f in (
        "inter", "title", "track1", "track2", "track3", "track4", "track5",
        "track6")] +
    ["/usr/share/games/etr/music/%s.ogg" % f for f in (
        "calmrace-ks", "credits1-cp", "freezingpoint", "lostrace-ks",
        "options1-jt", "race1-jt", "raceintro-ks", "spunkyrace-ks",
        "start1-jt", "wonrace1-jt")] +
    [SONICPI + f + ".flac" for f in (
        "loop_compus", "loop_electric", "loop_garzul", "loop_mehackit1",
        "loop_mehackit2", "loop_mika", "loop_safari", "loop_tabla",
        "loop_weirdo", "ambi_piano", "guit_e_fifths", "guit_e_slide",
        "guit_em9", "guit_harmonics")])
REAL_SPEECH = {"train": sorted (glob.glob (
                  "/usr/share/pocketsphinx/test/data/cards/00[1-4].wav")),
               "val": ["/usr/share/pocketsphinx/test/data/cards/005.wav",
                       "/usr/share/pocketsphinx/test/data/tidigits/"
                       "dhd.2934z.raw"]}

# --real-speech (T11, issue 5): the real recorded speech that
# scripts/make-real-speech.py reads from Debian main (game, telephone and
# teaching voices: words and phrases), whole families (speakers) per split,
# train / val only; the bench's speech (pocketsphinx-testdata) is never
# read. REAL_WORDS_SHARE of the speech clips are utterances of one
# family's clips in a row (real_utterance).
REAL_WORDS_VAL = {"alsa", "klettres", "oa-voice"}
REAL_WORDS_SHARE = 0.3


def real_words_sources ():
  """{family: [source]} of make-real-speech.py's installed families, as
  decode () names them ("zip:ARCHIVE:MEMBER" for archive members)."""
  got = {}
  clips = []
  if os.path.exists (msr.WZ):
    z = zipfile.ZipFile (msr.WZ)
    clips += [(f, "zip:%s:%s" % (msr.WZ, src)) for f, src, _ in
              msr.tutorial_clips (z) + msr.voice_clips (z, set (
                  z.namelist ()))]
  if os.path.isdir (msr.ALSA_DIR):
    clips += [(f, src) for f, src, _ in msr.alsa_clips ()]
  for lister in (msr.asterisk_clips, msr.klettres_clips,
                 msr.ktuberling_clips, msr.oa_clips, msr.re_clips,
                 msr.tuxpaint_clips):
    clips += [(f, "zip:%s:%s" % tuple (src.split ("!", 1)) if "!" in src
               else src) for f, src, _ in lister ()]
  for family, src in clips:
    if not src.startswith (msr.BENCH_DATA):
      # the commander's digits are a voice of wz-voice
      got.setdefault ("wz-voice" if family == "wz-digits" else family,
                      []).append (src)
  return got


# KB of each music file decoded: the bench's excerpts are fixed (its
# stream must not change); --music-kb sets train / val's (e.g. 1536: about
# a minute of each track, not its first 6-12 s, so that training hears the
# tracks' other parts (drums, breaks, quiet passages) too; T8, issue 5)
BENCH_MUSIC_KB = 160

# --more-sources (T9, issue 5): more real recordings, train / val only
# (each pool its own split_trainval, so the bench and the pools above keep
# their splits). Packages: openttd-openmsx (MIDI songs, GPL-2), rendered
# with fluidsynth and the General MIDI soundfonts of fluid-soundfont-gm
# (FluidR3_GM) and timgm6mb-soundfont (TimGM6mb), one of the two per song
# (render_midi); more real applause: tennix's (a tennis crowd, a member of
# its tennix.tnx archive: "tennix:NAME", tennix_member), foobillardplus-
# data's (a billiards audience) for val, tuxfootball's cheering crowd for
# train; hard negatives for music: tuxfootball's referee whistles, kicks
# and bounces, foobillardplus-data's balls, tennix's rackets and court
# (EVENT_NOISE2, as sequences) and tennix's rain (EXTRA_NOISE2).
MIDI_MUSIC = sorted (glob.glob ("/usr/share/games/openttd/baseset/openmsx/"
                                "*.mid"))
SOUNDFONTS = ["/usr/share/sounds/sf2/FluidR3_GM.sf2",
              "/usr/share/sounds/sf2/TimGM6mb.sf2"]
# seconds of each rendered song kept (from its first sound on)
MIDI_SEC = 60
TENNIX = "/usr/share/games/tennix/tennix.tnx"
TUXFOOTBALL = "/usr/share/games/tuxfootball/sound/"
FOOBILLARD = "/usr/share/games/foobillardplus/data/"
APPLAUSE2 = {"train": [TUXFOOTBALL + "crowdcheer.wav"],
             "val": ["tennix:applause.ogg", FOOBILLARD + "applause.wav"]}
EVENT_NOISE2 = (
    [TUXFOOTBALL + f + ".wav" for f in (
        "kick", "bounce", "refwhistleshort", "refwhistlelong",
        "refwhistletwice", "refwhistleend")] +
    [FOOBILLARD + f + ".wav" for f in (
        "ballinhole", "balloutoftable", "smack", "shuffleballs", "bomb")] +
    ["tennix:%s.ogg" % f for f in ("racket1", "racket2", "ground1",
                                   "ground2", "mouseclick")])
EXTRA_NOISE2 = ["tennix:rain.ogg"]
EXTRA_MUSIC3 = [TUXFOOTBALL + "titlemusic.ogg"]

# label sets and their shares
# (noise got 4 points of speech's and silence's shares with EVENT_NOISE:
# noise heard as music was the commonest error)
MIXES = [(("speech",), 0.13), (("music",), 0.14), (("silence",), 0.05),
         (("noise",), 0.22), (("applause",), 0.10),
         (("speech", "music"), 0.11), (("speech", "applause"), 0.05),
         (("speech", "noise"), 0.08), (("music", "applause"), 0.05),
         (("music", "noise"), 0.07)]
# --no-music-noise (T8, issue 5): without music over noise (music with
# noisy parts was learnt as music + noise and heard as noise in the
# validation stream), its share to music and noise
MIXES_NO_MUSIC_NOISE = [
    (("speech",), 0.13), (("music",), 0.18), (("silence",), 0.05),
    (("noise",), 0.25), (("applause",), 0.10),
    (("speech", "music"), 0.11), (("speech", "applause"), 0.05),
    (("speech", "noise"), 0.08), (("music", "applause"), 0.05)]


# share of the synthesised speech sources that are an utterance with a
# pause inside (paused_speech: sentence, 0.2-0.7 s pause, sentence, all
# tagged speech), as between the sentences of a real recording
PAUSED_SPEECH = 0.35


def split_of (key, val=15, bench=15):
  h = int (hashlib.sha1 (key.encode ()).hexdigest ()[:8], 16) % 100
  return "val" if h < val else "bench" if h < val + bench else "train"


def _family (path):
  """Numbered variants of one recording (water.1.ogg, water.2.ogg) are one
  family."""
  return re.sub (r"\.[0-9]+(\.[a-z0-9]+)$", r"\1", path)


def split_trainval (path, pool):
  """Split of a source of @pool added after the bench was fixed: never the
  bench. The families of @pool in sha1 order, every fourth one to val."""
  fams = sorted (set (_family (f) for f in pool),
                 key=lambda k: hashlib.sha1 (k.encode ()).hexdigest ())
  return "val" if fams.index (_family (path)) % 4 == 1 else "train"


def effect_family (path):
  """The kind of sound an effect of the original pool (LinCity, OpenSFX,
  ETR, Sonic Pi) is: LinCity's numbered and graded variants (Water1,
  Water3, TraficHigh2, TraficLow1, PowerCoalMed, WindMillHTech1) are one
  family (Water, Trafic, PowerCoal, WindMill); every other file is its
  own."""
  if path.startswith (LINCITY):
    base = os.path.splitext (os.path.basename (path))[0]
    return "lincity:" + re.sub (r"(HTech|High|Low|Light|Med|Full|Empty|On"
                                r"|Off|Takeoff)?[0-9]*$", "", base)
  return path


def split_effects (path, pool):
  """Split of a non-bench effect of the original pool: whole families
  held out, as the bench holds out recordings unlike the training ones
  (validation then measures sounds of kinds never trained on, not
  siblings of training files): the families of @pool (its non-bench
  files) in sha1 order, every fourth one to val, else train."""
  fams = sorted (set (effect_family (f) for f in pool),
                 key=lambda k: hashlib.sha1 (k.encode ()).hexdigest ())
  return "val" if fams.index (effect_family (path)) % 4 == 1 else "train"


def zip_member (path):
  """The bytes of "zip:ARCHIVE:MEMBER"."""
  _, archive, member = path.split (":", 2)
  with zipfile.ZipFile (archive) as z:
    return z.read (member)


def opensfx_entry (index):
  """The RIFF WAV bytes of entry @index of OpenTTD's opensfx.cat: a table
  of (offset | 0x80000000, size) pairs, each entry a length-prefixed
  name (its title and licence) followed by the WAV data."""
  with open (OPENSFX, "rb") as f:
    d = f.read ()
  count = (struct.unpack_from ("<I", d, 0)[0] & 0x7fffffff) // 8
  if not 0 <= index < count:
    raise ValueError ("opensfx.cat has no entry %d" % index)
  off, size = struct.unpack_from ("<II", d, 8 * index)
  off &= 0x7fffffff
  if off + size > len (d) or size < 1 or d[off] + 1 > size:
    raise ValueError ("opensfx.cat entry %d out of range" % index)
  wav = d[off + 1 + d[off]:off + size]
  if wav[:4] != b"RIFF":
    raise ValueError ("opensfx.cat entry %d is not a WAV" % index)
  return wav


def tennix_member (name):
  """The bytes of member @name of tennix's tennix.tnx: a 30-byte magic,
  version (2 bytes), key and item count, then per item 88 bytes of name,
  big-endian offset and length and 4 more bytes, XORed with the key; each
  member's data is XORed with a byte of its own (for an Ogg file, the one
  that turns its first byte into the "O" of "OggS")."""
  with open (TENNIX, "rb") as f:
    d = f.read ()
  if len (d) < 34 or not d.startswith (b"thpinfo.com/2009/tennix/afmt"):
    raise ValueError ("%s is not a tennix archive" % TENNIX)
  key, items = d[32], d[33]
  for i in range (items):
    o = 34 + 100 * i
    if o + 100 > len (d):
      break
    it = bytes (x ^ key for x in d[o:o + 100])
    if it[:88].split (b"\0")[0] != name.encode ():
      continue
    off, size = struct.unpack_from (">II", it, 88)
    if off + size > len (d) or size < 4:
      raise ValueError ("tennix member %s out of range" % name)
    k = d[off] ^ ord ("O")
    data = bytes (x ^ k for x in d[off:off + size])
    if data[:4] != b"OggS":
      raise ValueError ("tennix member %s is not an Ogg file" % name)
    return data
  raise ValueError ("tennix archive has no %s" % name)


def render_midi (path):
  """A MIDI song rendered to WAV bytes (16 kHz) by fluidsynth with one of
  SOUNDFONTS, chosen per song (sha1 of its path) among those installed."""
  fonts = [f for f in SOUNDFONTS if os.path.exists (f)]
  if not fonts:
    raise ValueError ("no General MIDI soundfont")
  font = fonts[int (hashlib.sha1 (path.encode ()).hexdigest ()[:8], 16) %
               len (fonts)]
  with tempfile.TemporaryDirectory () as tmp:
    wav = os.path.join (tmp, "song.wav")
    subprocess.run (["fluidsynth", "-ni", "-q", "-F", wav, "-r", "16000",
                     "-g", "0.4", font, path], stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, check=True)
    with open (wav, "rb") as f:
      return f.read ()


def source_exists (path):
  if path.startswith ("zip:"):
    return os.path.exists (path.split (":", 2)[1])
  if path.startswith ("tennix:"):
    return os.path.exists (TENNIX)
  if path.startswith ("midi:"):
    return shutil.which ("fluidsynth") is not None and \
        os.path.exists (path[5:])
  return os.path.exists (OPENSFX if path.startswith ("opensfx:") else path)


def decode (path, max_bytes=None):
  """Any audio file (or "opensfx:N", an entry of OpenSFX) -> float64 mono
  16 kHz (gst-launch-1.0; raw files are 16 kHz S16LE)."""
  if path.endswith (".raw"):
    return np.fromfile (path, dtype="<i2").astype (np.float64) / 32768.0
  if path.startswith ("opensfx:"):
    data = opensfx_entry (int (path.split (":")[1]))
  elif path.startswith ("zip:"):
    data = zip_member (path)
  elif path.startswith ("tennix:"):
    data = tennix_member (path.split (":", 1)[1])
  elif path.startswith ("midi:"):
    data = render_midi (path[5:])
  else:
    with open (path, "rb") as f:
      data = f.read (max_bytes) if max_bytes else f.read ()
  out = subprocess.run (["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
                         "decodebin", "!", "audioconvert", "!",
                         "audioresample", "!",
                         "audio/x-raw,format=S16LE,rate=16000,channels=1",
                         "!", "fdsink", "fd=1"], input=data,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                        check=True).stdout
  x = np.frombuffer (out, dtype="<i2").astype (np.float64) / 32768.0
  if path.startswith ("midi:"):
    # MIDI_SEC seconds from the first sound on (songs start silent)
    on = np.nonzero (np.abs (x) > 1e-3)[0]
    x = x[on[0] if len (on) else 0:][:MIDI_SEC * RATE]
  return x


def write_wav (x, path):
  pcm = np.clip (np.round (x * 32767.0), -32768, 32767).astype ("<i2")
  with wave.open (path, "wb") as w:
    w.setnchannels (1)
    w.setsampwidth (2)
    w.setframerate (RATE)
    w.writeframes (pcm.tobytes ())


def rms (x):
  return float (np.sqrt (np.mean (x ** 2) + 1e-20))


def lowpass (x, hz):
  spec = np.fft.rfft (x)
  f = np.fft.rfftfreq (len (x), 1.0 / RATE)
  spec[f > hz] = 0
  return np.fft.irfft (spec, len (x))


def window (x, n, rng, active=True):
  """A random n-sample window of x (looped if short); with @active, the
  loudest of a few draws, so that speech windows hold speech."""
  if len (x) < n:
    x = np.resize (x, n)
  best, best_e = None, -1.0
  for _ in range (4 if active else 1):
    s = int (rng.integers (0, len (x) - n + 1))
    w = x[s:s + n]
    e = rms (w)
    if e > best_e:
      best, best_e = w, e
  return np.array (best, dtype=np.float64)


def crowd (clap, n, rng):
  """Applause from one real clap recording: many randomly timed,
  pitched, filtered and scaled copies."""
  y = np.zeros (n + len (clap))
  rate = rng.uniform (60, 250)            # claps per second
  k = int (rate * n / RATE)
  for _ in range (k):
    s = int (rng.integers (0, n))
    c = clap * rng.uniform (0.2, 1.0)
    if rng.random () < 0.5:
      c = np.interp (np.arange (0, len (clap), rng.uniform (0.8, 1.25)),
                     np.arange (len (clap)), clap)
    y[s:s + len (c)] += c[:len (y) - s]
  y = y[:n]
  return lowpass (y, rng.uniform (3000, 8000))


def _decode_one (arg):
  path, max_bytes = arg
  try:
    x = decode (path, max_bytes)
  except (subprocess.CalledProcessError, ValueError, OSError, KeyError,
          zipfile.BadZipFile):
    return None
  return x.astype (np.float32) if len (x) >= RATE // 10 else None


def fft_filter (x, gain):
  spec = np.fft.rfft (x)
  return np.fft.irfft (spec * gain (np.fft.rfftfreq (len (x), 1.0 / RATE)),
                       len (x))


def synth_applause (n, rng):
  """Generated applause: a crowd of hand claps, each a short burst of
  band-passed noise (centre 500-3000 Hz, log-uniform, so that distant or
  band-limited crowds are covered; decay 3-25 ms) at random times and
  levels, with a faint room tail."""
  kernels = []
  for _ in range (8):
    m = int (rng.integers (200, 900))
    burst = rng.standard_normal (m) * np.exp (-np.arange (m) / RATE /
                                              rng.uniform (0.003, 0.025))
    fc = float (np.exp (rng.uniform (np.log (500), np.log (3000))))
    bw = rng.uniform (0.5, 1.5)
    kernels.append (fft_filter (burst, lambda f: np.exp (
        -0.5 * (np.log2 (np.maximum (f, 1.0) / fc) / bw) ** 2)))
  y = np.zeros (n + 900)
  claps = int (rng.uniform (30, 300) * n / RATE)
  for _ in range (claps):
    k = kernels[rng.integers (len (kernels))]
    s = int (rng.integers (0, n))
    y[s:s + len (k)] += k * rng.uniform (0.1, 1.0)
  y = y[:n]
  if rng.random () < 0.7:
    m = int (rng.uniform (0.05, 0.3) * RATE)
    tail = rng.standard_normal (m) * np.exp (-np.arange (m) / m * 5)
    y = y + 0.3 * np.convolve (y, tail / np.sqrt (m))[:n]
  return y


def synth_noise (n, rng):
  """Generated noise: a random spectral slope (white .. beyond brown),
  optionally band-limited and slowly amplitude-modulated (wind, surf)."""
  slope = rng.uniform (0.0, 2.5)
  lo, hi = (rng.uniform (20, 800), rng.uniform (1500, 8000)) \
      if rng.random () < 0.4 else (0.0, 8001.0)
  x = fft_filter (rng.standard_normal (n), lambda f: (np.maximum (f, 20.0)
      ** (-slope / 2)) * ((f >= lo) & (f <= hi)))
  if rng.random () < 0.4:
    t = np.arange (n) / RATE
    x *= 1.0 + rng.uniform (0.3, 0.9) * np.sin (
        2 * np.pi * rng.uniform (0.2, 3.0) * t + rng.uniform (0, 6.3))
  return x


def synth_machine (n, rng):
  """Generated tonal / rhythmic machine noise (engines, motors, mills,
  hammers): a fixed fundamental (25-400 Hz) with random harmonics, that
  only drifts slowly (machines play no melody), plus broadband noise,
  gated or pulsed at a steady rate (0.5-15 Hz) with a random duty."""
  t = np.arange (n) / RATE
  f0 = float (np.exp (rng.uniform (np.log (25), np.log (400))))
  f = f0 * (1 + rng.uniform (-0.03, 0.03) * np.sin (
      2 * np.pi * rng.uniform (0.05, 0.5) * t))
  ph = 2 * np.pi * np.cumsum (f) / RATE
  x = np.zeros (n)
  for h in range (1, int (rng.integers (3, 16))):
    if h * f0 < RATE / 2:
      x += rng.uniform (0, 1) / h ** rng.uniform (0, 1.5) * np.sin (
          h * ph + rng.uniform (0, 6.3))
  x = x / rms (x) + synth_noise (n, rng) / 1.0 * rng.uniform (0.1, 1.5)
  if rng.random () < 0.7:
    rate, duty = rng.uniform (0.5, 15), rng.uniform (0.2, 0.8)
    gate = ((t * rate + rng.uniform (0, 1)) % 1.0) < duty
    env = np.convolve (gate.astype (float), np.ones (80) / 80, "same")
    x *= rng.uniform (0.0, 0.5) + env
  return x


def event_noise (events, n, rng, background=None):
  """Noise made of real short effects (EVENT_NOISE): copies of one to
  three of @events at random times (1-8 per second) or at a steady rate
  with a little jitter (hammering, digging, steps: 1-6 Hz), random gains
  and pitch, over a quieter @background (a noise signal of n samples;
  generated noise if None), so that the gaps between events are not the
  digital silence of the silence tag."""
  picks = [events[rng.integers (len (events))]
           for _ in range (int (rng.integers (1, 4)))]
  y = np.zeros (n + RATE)
  steady = rng.random () < 0.5
  rate = rng.uniform (1, 6) if steady else rng.uniform (1, 8)
  t = rng.uniform (0, 1.0 / rate)
  while t * RATE < n:
    e = picks[rng.integers (len (picks))][:RATE]
    if rng.random () < 0.3:
      e = np.interp (np.arange (0, len (e), rng.uniform (0.85, 1.2)),
                     np.arange (len (e)), e)[:RATE]
    s = int (t * RATE)
    y[s:s + len (e)] += e * rng.uniform (0.3, 1.0) / (rms (e) + 1e-9)
    t += (1.0 / rate) * (rng.uniform (0.9, 1.1) if steady else
                         rng.exponential (1.0))
  y = y[:n]
  if background is None:
    background = synth_noise (n, rng)
  return y / rms (y) + background / rms (background) * \
      10 ** (rng.uniform (-25, -8) / 20)


_POOLS = {}


def _init_worker (pools):
  _POOLS.clear ()
  _POOLS.update (pools)


def trim (x, db=-40.0):
  """@x without its leading and trailing quiet: the 10 ms frames more than
  -@db dB below its loudest one."""
  f = RATE // 100
  m = len (x) // f
  if m < 2:
    return x
  e = np.sqrt (np.mean (x[:m * f].reshape (m, f) ** 2, axis=1) + 1e-20)
  on = np.nonzero (e > e.max () * 10 ** (db / 20))[0]
  return x[on[0] * f:(on[-1] + 1) * f]


def _fill (x, n, rng, tail):
  """@n samples of speech @x: its last (@tail) or first n samples, looped
  with 50-200 ms gaps when it is shorter."""
  parts, got = [x], len (x)
  while got < n:
    gap = np.zeros (int (rng.uniform (0.05, 0.2) * RATE))
    parts += [gap, x]
    got += len (gap) + len (x)
  y = np.concatenate (parts[::-1] if tail else parts)
  return y[len (y) - n:] if tail else y[:n]


def paused_speech (a, b, n, rng, pause_s=(0.2, 0.7), win=RATE):
  """One utterance with a pause inside it, as real recordings have:
  the end of sentence @a, a pause of @pause_s seconds, the start of
  sentence @b (both trimmed of their own quiet), over a room tone
  (generated noise 30-55 dB below the speech) so that the pause is no
  digital silence. The pause lies in or across the middle @win samples
  (the trainer's patch: the middle second of the clip) and is at most
  0.7 of its length, so that the patch always holds some speech; all of
  it is tagged speech."""
  a, b = trim (a), trim (b)
  win = min (win, n)
  p = int (min (rng.uniform (*pause_s), 0.7 * win / RATE) * RATE)
  lo = (n - win) // 2
  start = int (rng.uniform (lo - 0.1 * RATE, lo + win - p + 0.1 * RATE))
  start = max (1, min (start, n - p - 1))
  x = np.concatenate ([_fill (a, start, rng, True), np.zeros (p),
                       _fill (b, n - start - p, rng, False)])
  x = x / rms (x)
  tone = synth_noise (n, rng)
  return x + tone / rms (tone) * 10 ** (rng.uniform (-55, -30) / 20)


def synth_speech (p, rng):
  voice = tuple (p["voices"][rng.integers (len (p["voices"]))])
  text = p["texts"][rng.integers (len (p["texts"]))]
  with tempfile.TemporaryDirectory () as tmp:
    wav = os.path.join (tmp, "s.wav")
    msc.synthesise (voice, text, int (rng.integers (140, 211)),
                    int (rng.integers (25, 76)), wav)
    return msc.sox_to_array (wav, [])


def real_utterance (clips, n, rng):
  """@n samples or more of one speaker's clips @clips (trimmed of their
  quiet: load_pools) said in a row (at an even level within +-3 dB) with
  0.05-0.4 s pauses over a room tone (generated noise 30-55 dB below
  the speech), as a voice talks in a recording: words and short
  phrases, all tagged speech."""
  parts, got = [], 0
  while got < n:
    x = clips[rng.integers (len (clips))]
    parts.append (x / rms (x) * 10 ** (rng.uniform (-3, 3) / 20))
    gap = np.zeros (int (rng.uniform (0.05, 0.4) * RATE))
    parts.append (gap)
    got += len (x) + len (gap)
  y = np.concatenate (parts[:-1] if got - len (parts[-1]) >= n else parts)
  tone = synth_noise (len (y), rng)
  return y + tone / rms (tone) * 10 ** (rng.uniform (-55, -30) / 20)


def speech_signal (job, rng, n):
  p = _POOLS[job["split"]]
  if p["real_speech"] and rng.random () < 0.15:
    return window (p["real_speech"][rng.integers (len (p["real_speech"]))],
                   n, rng)
  if p.get ("real_words") and rng.random () < REAL_WORDS_SHARE:
    fams = sorted (p["real_words"])
    clips = p["real_words"][fams[rng.integers (len (fams))]]
    return window (real_utterance (clips, n, rng), n, rng)
  if rng.random () < PAUSED_SPEECH:
    return paused_speech (synth_speech (p, rng), synth_speech (p, rng), n,
                          rng)
  return window (synth_speech (p, rng), n, rng)


def source (tag, job, rng, n):
  p = _POOLS[job["split"]]
  if tag == "speech":
    return speech_signal (job, rng, n)
  if tag == "music":
    return window (p["music"][rng.integers (len (p["music"]))], n, rng)
  if tag == "applause":
    u = rng.random ()
    if p["claps"] and u < 0.15:
      return crowd (p["claps"][rng.integers (len (p["claps"]))], n, rng)
    if u < 0.55:
      y = synth_applause (n, rng)
    else:
      y = window (p["applause"][rng.integers (len (p["applause"]))], n, rng)
    # distant or band-limited crowds (as in frozen-bubble's applause)
    return lowpass (y, rng.uniform (1500, 3000)) if rng.random () < 0.1 else y
  if tag == "noise":
    u = rng.random ()
    if p["noise"] and u < 0.5:
      return window (p["noise"][rng.integers (len (p["noise"]))], n, rng)
    if p.get ("events") and u < 0.7:
      bg = window (p["noise"][rng.integers (len (p["noise"]))], n, rng) \
          if p["noise"] and rng.random () < 0.5 else synth_noise (n, rng)
      return event_noise (p["events"], n, rng, bg)
    if u < 0.78:
      return synth_machine (n, rng)
    if u < 0.9:
      return synth_noise (n, rng)
    kind = ["white", "pink", "brown", "hum"][rng.integers (4)]
    return msc.make_noise (kind, n, rng)
  raise ValueError (tag)


def make_clip (job):
  rng = np.random.default_rng ([job["seed"], job["index"]])
  n = job["samples"]
  tags = job["tags"]
  if tags == ["silence"]:
    if rng.random () < 0.3:
      x = np.zeros (n)
    else:
      x = rng.standard_normal (n) * 10 ** (rng.uniform (-90, -60) / 20)
  else:
    x = np.zeros (n)
    main = None
    for i, t in enumerate (tags):
      s = source (t, job, rng, n)
      s = s / rms (s)
      if i == 0:
        main = s
        x += s
      else:
        # the second tag from 10 dB below to 3 dB above the first one
        x += s * 10 ** (rng.uniform (-10, 3) / 20)
    if rng.random () < 0.33:
      x = lowpass (x, rng.uniform (3500, 7500))
    x = x / rms (x) * 10 ** (rng.uniform (-35, -12) / 20)
  peak = np.max (np.abs (x))
  if peak > 0.99:
    x *= 0.99 / peak
  write_wav (x, job["path"])
  return job["index"]


def load_pools (out, jobs, log, music_kb=BENCH_MUSIC_KB, more=False,
                real_words=False):
  music = sorted (f for g in MUSIC_GLOBS for f in glob.glob (g,
                                                              recursive=True))
  effects = sorted (f for f in glob.glob (LINCITY + "*.wav")
                    if any (os.path.basename (f).startswith (p)
                            for p in NOISE_PREFIXES))
  effects += [SONICPI + "vinyl_hiss.flac"]
  effects += ["opensfx:%d" % i for i in OPENSFX_NOISE]
  effects += [ETR + f + ".wav" for f in ETR_NOISE]
  extra_music = sorted (f for g in EXTRA_MUSIC_GLOBS for f in glob.glob (g))
  nonbench_effects = [f for f in effects if split_of (f) != "bench"]
  words = real_words_sources () if real_words else {}
  sentences = msc.load_sentences ()
  voices = msc.all_voices ()
  pools, sources = {}, {}
  music_bytes = {"bench": BENCH_MUSIC_KB * 1024, "train": music_kb * 1024,
                 "val": music_kb * 1024}

  def load_list (files, max_bytes=None):
    got = []
    with ProcessPoolExecutor (max_workers=jobs) as ex:
      for f, x in zip (files, ex.map (_decode_one, [(f, max_bytes)
                                                     for f in files])):
        if x is not None:
          got.append ((f, x))
    return got

  for split in ("train", "val", "bench"):
    m = load_list ([f for f in music if split_of (f) == split],
                   music_bytes[split])
    if split == "bench":
      e = load_list ([f for f in effects if split_of (f) == split])
    else:
      e = load_list ([f for f in nonbench_effects
                      if split_effects (f, nonbench_effects) == split])
    if split != "bench":
      extra = [f for f in EXTRA_NOISE if split_trainval (f, EXTRA_NOISE)
               == split and source_exists (f)]
      e += load_list (extra)
      ev = load_list ([f for f in EVENT_NOISE
                       if split_trainval (f, EVENT_NOISE) == split and
                       source_exists (f)])
      m += load_list ([f for f in extra_music
                       if split_trainval (f, extra_music) == split],
                      music_bytes[split])
      m += load_list ([f for f in EXTRA_MUSIC2
                       if split_trainval (f, EXTRA_MUSIC2) == split and
                       source_exists (f)], music_bytes[split])
    else:
      ev = []
    applause = list (APPLAUSE[split])
    if more and split != "bench":
      # --more-sources (T9): each pool its own split_trainval
      midi = ["midi:" + f for f in MIDI_MUSIC]
      m += load_list ([f for f in midi if split_trainval (f, midi) == split
                       and source_exists (f)])
      m += load_list ([f for f in EXTRA_MUSIC3
                       if split_trainval (f, EXTRA_MUSIC3) == split and
                       source_exists (f)], music_bytes[split])
      e += load_list ([f for f in EXTRA_NOISE2
                       if split_trainval (f, EXTRA_NOISE2) == split and
                       source_exists (f)])
      ev += load_list ([f for f in EVENT_NOISE2
                        if split_trainval (f, EVENT_NOISE2) == split and
                        source_exists (f)])
      applause += APPLAUSE2[split]
    a = load_list ([f for f in applause if source_exists (f)])
    c = load_list ([f for f in CLAPS.get (split, []) if os.path.exists (f)])
    s = load_list ([f for f in REAL_SPEECH.get (split, [])
                    if os.path.exists (f)])
    rw = {}
    for fam in sorted (words) if split != "bench" else []:
      if (fam in REAL_WORDS_VAL) == (split == "val"):
        got = load_list (words[fam])
        if got:
          rw[fam] = got
    if split != "bench" and (not m or not a):
      sys.exit ("make-tag-corpus: no %s for the %s split (run "
                "scripts/install-deps.sh)" % ("music" if not m else
                                              "applause", split))
    pools[split] = {
      "split": split,
      "music": [x for _, x in m], "noise": [x for _, x in e],
      "applause": [x for _, x in a],
      "events": [x for _, x in ev],
      "claps": [x[np.argmax (np.abs (x)) - 200:][:4000]
                if np.argmax (np.abs (x)) >= 200 else x[:4000]
                for _, x in c],
      "real_speech": [x for _, x in s],
      "real_words": {f: [trim (x) for _, x in v] for f, v in rw.items ()},
      "voices": [v for v in voices if msc.voice_is_val (v) ==
                 (split == "val")],
      "texts": [t for t in sentences if msc.text_is_val (t) ==
                (split == "val")],
    }
    sources[split] = {"music": [f for f, _ in m], "noise": [f for f, _ in e],
                      "events": [f for f, _ in ev],
                      "applause": [f for f, _ in a],
                      "claps": [f for f, _ in c],
                      "real_speech": [f for f, _ in s]}
    if rw:
      sources[split]["real_words"] = {f: [g for g, _ in v]
                                      for f, v in rw.items ()}
    if split != "bench":
      sources[split]["voices"] = ["%s:%s" % v for v in pools[split]["voices"]]
    log ("%s: %d music tracks, %d effects, %d short effects, %d applause, "
         "%d claps, %d real speech, %d real speech clips of %d families" % (
             split, len (m), len (e), len (ev), len (a), len (c), len (s),
             sum (len (v) for v in rw.values ()), len (rw)))
  return pools, sources


def write_bench (out, pools, rng):
  d = os.path.join (out, "bench")
  os.makedirs (d, exist_ok=True)
  rows = []
  p = pools["bench"]
  for i, x in enumerate (p["music"]):
    seg = x[: 12 * RATE]
    rows.append (("bench/music%02d.wav" % i, "music", seg))
  for i, x in enumerate (p["applause"] + p["noise"]):
    tag = "applause" if i < len (p["applause"]) else "noise"
    rows.append (("bench/%s%02d.wav" % (tag, i), tag, x[: 12 * RATE]))
  for i, kind in enumerate (["white", "pink", "brown", "hum"]):
    rows.append (("bench/noise-%s.wav" % kind, "noise",
                  msc.make_noise (kind, 4 * RATE, rng)))
  return write_rows (out, "bench.tsv", rows)


def write_rows (out, tsv, rows):
  """Writes (path, tag, samples) rows at -20 dBFS RMS (peaks at most 0.99)
  and their list OUT/TSV; returns how many."""
  with open (os.path.join (out, tsv), "w") as f:
    for path, tag, x in rows:
      x = x / rms (x) * 10 ** (-20 / 20)
      peak = np.max (np.abs (x))
      if peak > 0.99:
        x *= 0.99 / peak
      write_wav (x, os.path.join (out, path))
      f.write ("%s\t%s\n" % (path, tag))
  return len (rows)


def write_valstream (out, pools, rng, utterances=10, events=6, paused=6,
                     over_music=1, over_noise=3):
  """Recordings of the val split for a validation stream composed like the
  bench's (bench/bench-tags.py --stream valstream; thresholds and smoothing
  are chosen on it by scripts/tune-tag-thresholds.py): val music tracks,
  real applause and effects, generated noise, @events sequences of its
  short effects (event_noise), and speech (the val split's
  real recordings and utterances of val voices and texts, whole files,
  tagged speech; with --real-speech two utterances of each val family's
  real clips in a row), @paused utterances of 2-3 sentences with 0.2-1.0 s
  pauses, @over_music excerpts of applause over music and @over_noise of
  speech over an effect (rows "tag1,tag2"; one applause over music
  only: the stream has two applause rows and the threshold chosen for
  applause follows the mixture when it holds most of its seconds).
  valstream/*.wav and valstream.tsv."""
  d = os.path.join (out, "valstream")
  os.makedirs (d, exist_ok=True)
  p = pools["val"]
  rows = []
  for i, x in enumerate (p["music"]):
    rows.append (("valstream/music%02d.wav" % i, "music", x[: 12 * RATE]))
  for i, x in enumerate (p["applause"]):
    rows.append (("valstream/applause%02d.wav" % i, "applause",
                  x[: 12 * RATE]))
  for i, c in enumerate (p["claps"]):
    rows.append (("valstream/applause-claps%02d.wav" % i, "applause",
                  crowd (c, 8 * RATE, rng)))
  for i, x in enumerate (p["noise"]):
    rows.append (("valstream/noise%02d.wav" % i, "noise", x[: 12 * RATE]))
  for kind in ["white", "pink", "brown", "hum"]:
    rows.append (("valstream/noise-%s.wav" % kind, "noise",
                  msc.make_noise (kind, 4 * RATE, rng)))
  for i in range (events if p.get ("events") else 0):
    rows.append (("valstream/noise-events%02d.wav" % i, "noise",
                  event_noise (p["events"], 8 * RATE, rng)))
  for i, x in enumerate (p["real_speech"]):
    rows.append (("valstream/speech-real%02d.wav" % i, "speech", x))
  for fam in sorted (p.get ("real_words", {})):
    for i in range (2):
      rows.append (("valstream/speech-%s%02d.wav" % (fam, i), "speech",
                    real_utterance (p["real_words"][fam], 5 * RATE, rng)))
  with tempfile.TemporaryDirectory () as tmp:
    wav = os.path.join (tmp, "s.wav")
    for i in range (utterances):
      voice = tuple (p["voices"][rng.integers (len (p["voices"]))])
      text = " ".join (p["texts"][rng.integers (len (p["texts"]))]
                       for _ in range (2))
      msc.synthesise (voice, text, int (rng.integers (140, 211)),
                      int (rng.integers (25, 76)), wav)
      x = msc.sox_to_array (wav, [])
      rows.append (("valstream/speech%02d.wav" % i, "speech", x))
  # as real recordings are: utterances of 2-3 sentences with 0.2-1.0 s
  # pauses (room tone) between them, all speech; applause over music;
  # speech over noise (multi-label rows "tag1,tag2")
  for i in range (paused):
    sents = [trim (synth_speech (p, rng)) for _ in range (
        int (rng.integers (2, 4)))]
    parts = []
    for j, x in enumerate (sents):
      if j:
        parts.append (np.zeros (int (rng.uniform (0.2, 1.0) * RATE)))
      parts.append (x / rms (x))
    x = np.concatenate (parts)
    tone = synth_noise (len (x), rng)
    x = x + tone / rms (tone) * 10 ** (rng.uniform (-50, -30) / 20)
    rows.append (("valstream/speech-pauses%02d.wav" % i, "speech", x))
  for i in range (over_music):
    m = p["music"][i % len (p["music"])][: 8 * RATE]
    a = np.resize (p["applause"][i % len (p["applause"])], len (m))
    x = m / rms (m) + a / rms (a) * 10 ** (rng.uniform (-6, 3) / 20)
    rows.append (("valstream/applause-music%02d.wav" % i, "applause,music",
                  x))
  for i in range (over_noise if p["noise"] else 0):
    sp = trim (synth_speech (p, rng))
    e = np.resize (p["noise"][rng.integers (len (p["noise"]))], len (sp))
    x = sp / rms (sp) + e / rms (e) * 10 ** (rng.uniform (-12, -3) / 20)
    rows.append (("valstream/speech-noise%02d.wav" % i, "speech,noise", x))
  return write_rows (out, "valstream.tsv", rows)


def main ():
  ap = argparse.ArgumentParser (description=__doc__.split ("\n")[0])
  ap.add_argument ("--out", required=True)
  ap.add_argument ("--clips", type=int, default=3000,
                   help="training clips; validation gets a fifth of this")
  ap.add_argument ("--clip-sec", type=float, default=1.0)
  ap.add_argument ("--seed", type=int, default=1)
  ap.add_argument ("--music-kb", type=int, default=BENCH_MUSIC_KB,
                   help="KB of each train / val music file decoded (%d: its "
                   "first 6-12 s; the bench's are always %d)" % (
                       BENCH_MUSIC_KB, BENCH_MUSIC_KB))
  ap.add_argument ("--no-music-noise", action="store_true",
                   help="no music-over-noise clips (MIXES_NO_MUSIC_NOISE)")
  ap.add_argument ("--more-sources", action="store_true",
                   help="more real recordings for train / val: MIDI songs, "
                   "applause, effects (MIDI_MUSIC, APPLAUSE2, EVENT_NOISE2, "
                   "EXTRA_NOISE2, EXTRA_MUSIC3)")
  ap.add_argument ("--real-speech", action="store_true",
                   help="real recorded speech of make-real-speech.py's "
                   "families for train / val, whole families per split "
                   "(val: %s)" % ", ".join (sorted (REAL_WORDS_VAL)))
  ap.add_argument ("--jobs", type=int, default=os.cpu_count () or 1)
  args = ap.parse_args ()

  missing = [t for t in msc.missing_tools ()]
  if missing:
    sys.exit ("make-tag-corpus: missing %s (run scripts/install-deps.sh)"
              % ", ".join (missing))
  os.makedirs (args.out, exist_ok=True)
  t0 = time.time ()

  def log (s):
    print ("make-tag-corpus: " + s, flush=True)

  pools, sources = load_pools (args.out, args.jobs, log, args.music_kb,
                               args.more_sources, args.real_speech)
  n = int (round (args.clip_sec * RATE))
  counts = {"train": args.clips, "val": max (1, args.clips // 5)}
  mixes = MIXES_NO_MUSIC_NOISE if args.no_music_noise else MIXES
  weights = np.array ([w for _, w in mixes])
  weights /= weights.sum ()
  jobs = []
  for split in ("train", "val"):
    d = os.path.join (args.out, "clips", split)
    os.makedirs (d, exist_ok=True)
    r = random.Random ("%d:%s" % (args.seed, split))
    for i in range (counts[split]):
      # every label set in turn first, so even tiny corpora have them all
      k = i if i < len (mixes) else \
          r.choices (range (len (mixes)), weights=weights)[0]
      jobs.append ({"index": len (jobs), "seed": args.seed, "split": split,
                    "tags": list (mixes[k][0]), "samples": n,
                    "path": os.path.join (d, "%06d.wav" % i)})
  done = 0
  with ProcessPoolExecutor (max_workers=max (1, args.jobs),
                            initializer=_init_worker,
                            initargs=({s: pools[s] for s in ("train",
                                                              "val")},)) as ex:
    for _ in ex.map (make_clip, jobs, chunksize=8):
      done += 1
      if done % 500 == 0 or done == len (jobs):
        log ("%d/%d clips, %.0f s" % (done, len (jobs), time.time () - t0))
  stats = {}
  for split in ("train", "val"):
    rows = [j for j in jobs if j["split"] == split]
    with open (os.path.join (args.out, split + ".tsv"), "w") as f:
      for j in rows:
        f.write ("%s\t%s\n" % (os.path.relpath (j["path"], args.out),
                               ",".join (j["tags"])))
    stats[split] = {"clips": len (rows),
                    "per_tag": {t: sum (t in j["tags"] for j in rows)
                                for t in TAGS},
                    "multi_label": sum (len (j["tags"]) > 1 for j in rows)}
  nb = write_bench (args.out, pools, np.random.default_rng (args.seed))
  stats["bench"] = {"files": nb}
  stats["valstream"] = {"files": write_valstream (
      args.out, pools, np.random.default_rng ([args.seed, 7]))}
  meta = {"seed": args.seed, "tags": TAGS, "sample_rate": RATE,
          "clip_sec": args.clip_sec, "format": "wav, mono, 16 bit",
          "splits": stats, "sources": sources,
          "mixes": [[list (m), w] for m, w in mixes],
          "split_rule": "per source file/voice: sha1(path) %% 100 < 15 val, "
          "< 30 bench, else train, but effects of the original pool: families "
          "(effect_family) of the non-bench ones, every fourth (sha1 order) "
          "val, else train; applause, claps and real speech by the "
          "fixed lists in the script; synthesis voices and texts as "
          "make-speech-corpus.py; EXTRA_NOISE / EXTRA_MUSIC_GLOBS / "
          "EXTRA_MUSIC2 / EVENT_NOISE (each its own pool): every "
          "fourth family (sha1 order) val, else train, never bench",
          "elapsed_s": round (time.time () - t0, 1),
          "command": " ".join (["/usr/bin/python3",
                                "scripts/make-tag-corpus.py"] + sys.argv[1:])}
  with open (os.path.join (args.out, "corpus.json"), "w") as f:
    json.dump (meta, f, indent=2, sort_keys=True)
    f.write ("\n")
  log ("%d train + %d val clips, %d bench files in %s (%.0f s)" %
       (counts["train"], counts["val"], nb, args.out, time.time () - t0))


if __name__ == "__main__":
  main ()
