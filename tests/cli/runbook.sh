#!/usr/bin/env bash
# Submit a pipeline job, wait for it, list its steps and download one output, the way Azure's
# example CI scripts drive `az ml`. Every command here is also an `az ml` command: put `az ml`
# in place of `cairn` (and add -g/-w, or `az configure --defaults`) and it runs against Azure.
#
# usage: runbook.sh PIPELINE_FILE OUTPUT_NAME [DOWNLOAD_DIR]
# exit:  0 completed and downloaded, 1 the job failed or was canceled, 3 submission failed
set -euo pipefail

job_file=$1
output_name=$2
download_dir=${3:-./downloads}

run_id=$(cairn job create -f "$job_file" --query name -o tsv)
if [[ -z "$run_id" ]]; then
  echo "job creation failed"
  exit 3
fi
echo "submitted: $run_id"
echo "studio: $(cairn job show -n "$run_id" --query services.Studio.endpoint -o tsv)"

status=$(cairn job show -n "$run_id" --query status -o tsv)
while true; do
  case "$status" in
    NotStarted | Queued | Starting | Preparing | Running | Finalizing | CancelRequested)
      sleep 1
      status=$(cairn job show -n "$run_id" --query status -o tsv)
      ;;
    *)
      break
      ;;
  esac
done
echo "status: $status"

for step in $(cairn job list --parent-job-name "$run_id" --query "[].name" -o tsv); do
  echo "step: $step $(cairn job show -n "$step" --query status -o tsv)"
done

if [[ "$status" != "Completed" ]]; then
  echo "job $run_id ended $status"
  exit 1
fi

cairn job download -n "$run_id" --output-name "$output_name" --download-path "$download_dir"
ls "$download_dir/named-outputs/$output_name"
exit 0
