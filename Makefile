# Thin wrapper around meson for the two README commands.
#   make demo   install deps if missing, build, classify the sample clip
#   make test   install deps if missing, build, run the whole test suite
BUILD ?= build
MESON_FLAGS ?=

.PHONY: all deps setup compile demo test model clean

all: compile

deps:
	@bash scripts/install-deps.sh
	@bash scripts/install-onnxruntime-node.sh || echo "make: onnxruntime-node could not be installed; the ONNX reference tests compare with PyTorch only" >&2

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS)

setup: deps $(BUILD)/build.ninja

compile: setup
	meson compile -C $(BUILD)

demo: compile
	meson devenv -C $(BUILD) --workdir "$(CURDIR)" bash pipelines/demo-fashion-mnist.sh

test: compile
	meson test -C $(BUILD) --print-errorlogs

# Re-train the shipped model (see README: about 20 minutes on 2 cores).
model: compile
	bash scripts/train-fashion-mnist.sh $(BUILD)

clean:
	rm -rf $(BUILD)
