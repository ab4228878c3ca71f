#!/usr/bin/env bash
# A support agent that refunds a customer, but only once a person approves:
# the whole protocol with curl and jq.
#
#   COUNTERSIGN_URL=http://localhost:3000 COUNTERSIGN_AGENT_KEY=csk_... examples/curl/refund-agent.sh
#
# Optional: REFUND_CUSTOMER (default cus_123), REFUND_AMOUNT (default 500).
# Exit codes: 0 refunded, 3 denied, 4 not decided (expired or cancelled), 1 error.
set -euo pipefail

: "${COUNTERSIGN_URL:?Set COUNTERSIGN_URL (e.g. http://localhost:3000)}"
: "${COUNTERSIGN_AGENT_KEY:?Set COUNTERSIGN_AGENT_KEY (npm start prints the demo agent key)}"
URL="${COUNTERSIGN_URL%/}"
CUSTOMER="${REFUND_CUSTOMER:-cus_123}"
AMOUNT="${REFUND_AMOUNT:-500}"
ACTION="payments.refund"
PARAMS=$(jq -cn --argjson amount "$AMOUNT" '{amount: $amount, currency: "USD"}')

# call METHOD PATH [BODY] [CURL ARGS...]: prints the response body; on a
# non-2xx answer, prints the problem's code and detail and exits 1.
call() {
  local method=$1 path=$2 body=${3:-} response status
  shift $(( $# < 3 ? $# : 3 ))
  local args=(-sS -X "$method" "$URL$path" -H "Accept: application/json" -w '\n%{http_code}')
  if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" --data "$body"); fi
  # Command substitutions do not inherit `set -e`, hence the explicit exits.
  response=$(curl "${args[@]}" "$@") || { echo "Could not reach Countersign at $URL." >&2; exit 1; }
  status=${response##*$'\n'}
  response=${response%$'\n'*}
  if [ "$status" -lt 200 ] || [ "$status" -ge 300 ]; then
    echo "Countersign answered $status: $(jq -r '"\(.code): \(.detail)"' <<<"$response" 2>/dev/null || echo "$response")" >&2
    exit 1
  fi
  printf '%s' "$response"
}
as_agent=(-H "Authorization: Bearer $COUNTERSIGN_AGENT_KEY")

echo "Asking for approval to refund \$$AMOUNT to customer $CUSTOMER."
body=$(jq -cn --arg customer "$CUSTOMER" --argjson params "$PARAMS" --arg action "$ACTION" '{
  action: $action,
  resource: "customer:\($customer)",
  params: $params,
  summary: "Refund $\($params.amount) to customer \($customer) for a duplicate charge",
  justification: "The customer was charged twice for the same order (ticket #4521).",
  context: { task_id: "ticket-4521", environment: { name: "demo" } }
}')
# With an idempotency key, a retried create returns the same request instead of a second one.
idempotency_key="refund-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
request=$(call POST /api/v1/requests "$body" "${as_agent[@]}" -H "Idempotency-Key: $idempotency_key" --retry 3)
id=$(jq -r .id <<<"$request")
status=$(jq -r .status <<<"$request")

# Long-wait: each call returns as soon as the request is decided, or after 60 s.
if [ "$status" = pending ]; then
  echo "Waiting for a reviewer to decide request $id ($URL/requests/$id)."
fi
while [ "$status" = pending ]; do
  request=$(call GET "/api/v1/requests/$id?wait=60" "" "${as_agent[@]}" --max-time 75 --retry 3)
  status=$(jq -r .status <<<"$request")
done

case "$status" in
  approved) ;;
  denied)
    echo "Denied: $(jq -r '.decision.reason // "no reason given"' <<<"$request"). Nothing was refunded."
    exit 3 ;;
  *)
    echo "No approval: the request is $status. Nothing was refunded."
    exit 4 ;;
esac
echo "Approved ($(jq -r '.decision.by' <<<"$request"))."

# The executor redeems the one-time grant for exactly this action and these
# params, right before acting. It needs no agent key: the grant is the capability.
# Never retried blindly: a redemption that arrived has used the grant up.
token=$(jq -r .grant.token <<<"$request")
redemption=$(call POST /api/v1/grants/redeem "$(jq -cn --arg token "$token" --arg action "$ACTION" --argjson params "$PARAMS" '{token: $token, action: $action, params: $params}')")
echo "Grant $(jq -r .grant_id <<<"$redemption") redeemed: this exact refund is approved, and only once. Refunding now."

refund_id="re_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"   # stands in for the payment provider's API
echo "Refunded \$$AMOUNT to customer $CUSTOMER (refund $refund_id)."

call POST "/api/v1/requests/$id/outcome" "$(jq -cn --arg detail "refund $refund_id" '{status: "succeeded", detail: $detail}')" "${as_agent[@]}" >/dev/null
echo "Reported the outcome to Countersign: succeeded."
