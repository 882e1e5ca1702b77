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

checkpoint_from_git() {  # $1: a revision of this repository; $2: the folder to hold the kept checkpoint as it was then
  # The specialists start from the default run's checkpoint at the step they were measured from,
  # which git keeps after models/default/training/ has moved on.
  local rev="$1" to="$2" tmp="$2.tmp" file root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  rm -rf "$tmp" && mkdir -p "$tmp"
  for file in $(git -C "$root" ls-tree --name-only "$rev" models/default/training/); do
    git -C "$root" show "$rev:$file" >"$tmp/$(basename "$file")"
  done
  rm -rf "$to" && mv "$tmp" "$to"
  sed -n 's/^model_checkpoint_path: "\(.*\)"/\1/p' "$to/checkpoint"
}
