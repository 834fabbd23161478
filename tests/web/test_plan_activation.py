"""Impact, compare and activation in-process: the movers and their CSV, a confirmation before any
activation, a bad day under its field, scheduling and its cancelling, and undo by re-activating."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from web_client import Signed, under, version_in


def test_a_draft_is_compared_confirmed_scheduled_activated_and_undone(
    web_as: Callable[[str], Signed],
) -> None:
    pat = web_as("pat")
    copied = pat.post("/planning/1/copy")
    plan = copied.headers["location"]
    plan_id = int(plan.rsplit("/", 1)[1])
    version = version_in(pat.client.get(plan).text)
    assert pat.post(f"{plan}/territories/T-WEST", version=version, reps="REP-CAL").status_code == 303

    impact = pat.client.get(f"{plan}/impact", headers={"HX-Request": "true"})
    assert "<html" not in impact.text  # a fragment for htmx
    movers = pat.client.get(f"{plan}/compare/movers.csv").text.splitlines()
    assert movers[0] == "account_id,layer,from_territory,from_rep,to_territory,to_rep"
    assert impact.text.count("<tr>") - 1 == len(movers) - 1  # the table shows the CSV's rows
    compared = pat.client.get(f"{plan}/compare")
    assert compared.status_code == 200 and "Account rows moving" in compared.text
    reps = pat.client.get(f"{plan}/compare/reps.csv").text.splitlines()
    assert reps[0] == "layer,rep_id,accounts_a,accounts_b,gained,lost"
    assert pat.client.get(f"{plan}/compare/other.csv").status_code == 404

    summary = pat.client.get(f"{plan}/activate/summary", headers={"HX-Request": "true"}).text
    assert f"<strong>{len(movers) - 1}</strong> account rows move from the active plan 1" in summary
    form = pat.client.get(f"{plan}/activate").text
    today = date.fromisoformat(form.split('id="effective" name="effective" type="date" value="')[1][:10])
    version = version_in(form)
    unconfirmed = pat.post(f"{plan}/activate", version=version, effective=today.isoformat())
    assert unconfirmed.status_code == 422 and "confirm" in under(unconfirmed.text, "confirm")
    garbled = pat.post(f"{plan}/activate", version=version, effective="tomorrow", confirm="yes")
    assert garbled.status_code == 422 and "YYYY-MM-DD" in under(garbled.text, "effective")
    past = pat.post(f"{plan}/activate", version=version, effective="2001-01-01", confirm="yes")
    assert past.status_code == 422 and "back-dated" in under(past.text, "effective")
    assert (
        pat.post(f"{plan}/activate", version='"old"', effective=today.isoformat(), confirm="yes").status_code
        == 412
    )

    tomorrow = (today + timedelta(days=1)).isoformat()
    scheduled = pat.post(f"{plan}/activate", version=version, effective=tomorrow, confirm="yes")
    assert scheduled.status_code == 303
    assert f"is scheduled from {tomorrow}" in pat.client.get(scheduled.headers["location"]).text
    assert pat.post(f"{plan}/unschedule", version=version).status_code == 303
    assert "I have checked the impact" in pat.client.get(f"{plan}/activate").text  # a draft again

    done = pat.post(f"{plan}/activate", version=version, effective=today.isoformat(), confirm="yes")
    activated = pat.client.get(done.headers["location"]).text
    assert f"Plan {plan_id} is active from {today}" in activated and "Re-activate plan 1" in activated
    # Undo: plan 1 again, but a day has one activation, so the form offers tomorrow and says why.
    undo = pat.client.get("/planning/1/activate").text
    assert f'value="{tomorrow}"' in undo and "a day has one activation" in undo
    refused = pat.post(
        "/planning/1/activate", version=version_in(undo), effective=today.isoformat(), confirm="yes"
    )
    assert refused.status_code == 422 and "one activation a day" in under(refused.text, "effective")
    again = pat.post("/planning/1/activate", version=version_in(undo), effective=tomorrow, confirm="yes")
    assert again.status_code == 303 and "scheduled" in pat.client.get(again.headers["location"]).text
