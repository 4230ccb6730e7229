"""action_id and callback_id constants shared by the builders and the listeners that answer them."""

# The lead's modal: what customers can count on, what they must do, the remedy and its window.
PROMISE_VIEW = "promise_modal"
P_PLEDGE = "promise_pledge"
P_MUST = "promise_customer_must"
P_REMEDY = "promise_remedy"
P_HOURS = "promise_remedy_hours"

# The weekly prompt's question, and the "Broken" modal it opens.
KEPT = "promise_kept"
BROKEN = "promise_broken"
BROKEN_VIEW = "promise_broken_modal"
B_TIMES = "promise_broken_times"
B_NOTE = "promise_broken_note"

# A break: the message shortcut, its modal, and the buttons that carry the remedy.
SHORTCUT = "report_broken_promise"
REPORT_VIEW = "promise_report_modal"
R_WHAT = "promise_report_what"
R_TEAM = "promise_report_team"
OWN = "promise_own_remedy"
DELIVERED = "promise_remedy_delivered"
MISSED = "promise_remedy_missed"
