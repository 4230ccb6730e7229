"""action_id and callback_id constants shared by the builders and the listeners that answer them."""

RALLY_OFFER = "rally_offer"
RALLY_OWN = "rally_own"
RALLY_RESOLVE = "rally_resolve"
RALLY_STILL = "rally_still_need"
RALLY_ACCEPT = "rally_accept"
RALLY_WITHDRAW = "rally_withdraw"
NOT_A_SCORE = "checkin_not_a_score"
