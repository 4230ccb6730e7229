"""action_id and callback_id constants shared by the builders and the listeners that answer them."""

SCORE_PREFIX = "checkin_score_"  # + 1..10; action_ids must differ within a block
CHECKIN_DETAILS = "checkin_details"
CHECKIN_EDIT = "checkin_edit"
HOME_CHECKIN = "home_checkin"
CHECKIN_VIEW = "checkin_modal"
CI_SCORE = "ci_score"
CI_DELIVERABLES = "ci_deliverables"
CI_CUSTOMERS = "ci_customers"
CI_NOTE = "ci_note"
CI_HELP = "ci_help"
CI_VISIBILITY = "ci_visibility"
