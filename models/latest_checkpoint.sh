# Sourced by make_default.sh and make_paintings.sh (not run): one run's newest checkpoint, alone,
# in another folder, which a run started there resumes.
copy_latest_checkpoint() {  # $1: a checkpoints folder; $2: the folder to hold its newest checkpoint (replaced)
  # Copied into $2.tmp and renamed, so an interrupted copy never leaves a folder that looks resumable.
  local from="$1" to="$2" latest tmp="$2.tmp"
  latest="$(sed -n 's/^model_checkpoint_path: "\(.*\)"/\1/p' "$from/checkpoint")"
  rm -rf "$tmp" && mkdir -p "$tmp"
  cp "$from/$latest".* "$from/run.json" "$tmp/"
  printf 'model_checkpoint_path: "%s"\nall_model_checkpoint_paths: "%s"\n' "$latest" "$latest" >"$tmp/checkpoint"
  rm -rf "$to" && mv "$tmp" "$to"
  echo "$latest"
}
