"""The promise (seed 003): what customers can count on, kept or broken every week, breaks owned
until the remedy lands, and an opt-in public page where customers see the record, report a
break and rate the team.

Other features call `service` (the tick's `promise_due_work`, the prompt's `prompt_ask`, the
summary's `summary_line`, the App Home's `home_blocks`) and `page.PromisePage` (the server)."""
