#!/usr/bin/env bash
# The tutorial (docs/tutorial.md), as a script: run it in an empty folder with earwitness
# installed. Every command of the tutorial's code blocks is here, in the same order
# (tests/dashboard/test_tutorial.py checks both, and runs this from an installed wheel).
# All data are the demo's: SIMULATED posts and survey, ILLUSTRATIVE interviews, SYNTHETIC
# audio and FICTIONAL services, labelled so.
set -euo pipefail
set -x

# 0. Inputs to follow along with
earwitness demo inputs --inputs-only

# 1. Create the study
earwitness init ai-mastering --name "AI mastering adoption (SIMULATED)"
cd ai-mastering
earwitness status
earwitness services add Loudwell --alias "Loud well" --label ai:loudwell --fictional
earwitness services add Mastrino --alias "Mastrino AI" --alias Mastreno --label ai:mastrino --fictional
earwitness services add "Sheen AI" --alias Sheen --label ai:sheen --fictional
earwitness services add Tapewise --alias "Tape wise" --alias Tapewize --label ai:tapewise --fictional

# 2. Collect what people say
earwitness collect dump ../inputs/RC_SIMULATED_demo.ndjson.zst
earwitness import transcript ../inputs/interviews/interview-01.txt --group amateur
earwitness import transcript ../inputs/interviews/interview-02.vtt --group professional
earwitness import survey ../inputs/survey-SIMULATED-gforms.csv --instrument ../inputs/ai-mastering-adoption.yaml

# 3. Code
earwitness code codebook starter
earwitness code segment
earwitness code import-codings ../inputs/codings-SIMULATED.csv
earwitness code import-codings ../inputs/codings-posts-SIMULATED.csv
earwitness code agreement --coders ana,ben
earwitness code report frequencies --by group

# 4. User groups, and stance toward each service
earwitness groups assign
earwitness groups coverage
earwitness code stance detect
earwitness code stance report

# 5. Survey
earwitness survey report --html exports/survey-report.html

# 6. Audio and listening tests
earwitness audio add ../inputs/audio/SYNTHETIC-song0-mix.flac --song song-1 --version mix
earwitness audio add ../inputs/audio/SYNTHETIC-song0-human.flac --song song-1 --version human
earwitness audio add ../inputs/audio/SYNTHETIC-song0-ai-loudwell.flac --song song-1 --version ai:loudwell
earwitness audio add ../inputs/audio/SYNTHETIC-song0-ai-mastrino.flac --song song-1 --version ai:mastrino
earwitness audio add ../inputs/audio/SYNTHETIC-song0-ai-sheen.flac --song song-1 --version ai:sheen
earwitness audio add ../inputs/audio/SYNTHETIC-song0-ai-tapewise.flac --song song-1 --version ai:tapewise
earwitness audio measure
earwitness audio compare --song song-1
earwitness listen create first-test --design mushra --reference human --conditions 'ai:*' --excerpt-s 4
earwitness listen simulate first-test --n 6 --seed 0
earwitness listen report first-test

# 7. Dashboard
earwitness services

# 8. Export
earwitness export codings --format csv
earwitness export metrics --format csv
