package main

// stagedBlocked is what dtleaks staged prints after the summary when the
// commit it guards would add a token: the next step, since the hook's
// failure is often the first time the user hears of dtleaks.
const stagedBlocked = `
The commit is blocked: it would add the token(s) above. Next steps:
  1. Remove the token from the file and stage it again (git add). Keep secrets
     out of the repository: in a secret store, or in an environment variable
     the code reads (DT_API_TOKEN=${DT_API_TOKEN}).
  2. A documented example that must stay (never a live token): put
     "dtleaks:allow" on its line.
  3. Already in an earlier commit that is not pushed yet? Remove it and
     "git commit --amend" (or "git rebase -i" for an older commit), so no
     commit you push holds it.
  4. Already pushed, or shared any other way? Treat it as leaked: revoke it
     ("dtleaks revoke ID", or Access tokens in Dynatrace) and create a new one;
     rewriting history does not take it back from clones.
`
