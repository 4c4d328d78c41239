#!/usr/bin/env bash
# Trains the default emotion model (resources/models/emotion-meld) on MELD in the background,
# with checkpoint + resume, then writes its model card from a fresh evaluation on MELD dev.
#   scripts/train-emotion-meld.sh            start (or RESUME=1 to continue a killed run)
#   tail -f "$OUT.log"                        follow progress
# Data: `npm run data` first (fills data/ from a mirror or the public source, checksums verified),
# then the bare names resolve through the data lookup; MELD_DIR=DIR uses that folder instead.
# OUT defaults to a work folder, copied into resources/ when done.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${MELD_DIR:-}" ]; then
  TRAIN="$MELD_DIR/train_sent_emo.csv" DEV="$MELD_DIR/dev_sent_emo.csv"
else
  npm run data
  TRAIN=train_sent_emo.csv DEV=dev_sent_emo.csv
fi
OUT="${OUT:-${TMPDIR:-/tmp}/fws-train/emotion-meld}"
DEST="resources/models/emotion-meld"
mkdir -p "$(dirname "$OUT")"
ARGS=(train emotion --data "$TRAIN" --dev "$DEV"
  --out "$OUT" --name emotion-meld --model-version 1.0.0 --fusion concat --epochs 14 --batch-size 64
  --lr 0.003 --dropout 0.2 --patience 4 --class-weighting none --aux-sentiment 0.5 --seed 1
  --log "$OUT.log")
[ "${RESUME:-0}" = 1 ] && ARGS+=(--resume)
nohup bash -c "node bin/fws.mjs ${ARGS[*]@Q} && mkdir -p $DEST && cp $OUT/manifest.json $OUT/model.json $OUT/weights.bin $OUT/vocab.json $DEST/ && npx tsx scripts/emotion-model-card.ts --model $DEST --data ${DEV@Q}" >>"$OUT.log" 2>&1 &
echo "training in the background (pid $!): log $OUT.log"
