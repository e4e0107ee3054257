"""The hiring toolkit: interview kits, scorecards, job-description drafts and the CV evidence check, each
built from the criteria the role's articles state (bot.toolkit.criteria), each criterion cited."""
