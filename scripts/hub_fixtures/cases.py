"""
The conformance cases every fixture is scored on (written into its reference.json, read by the
tests): chat messages and responses, as the app's estimator sees them.
"""

PERSONA = ("You are Captain Mirela Voss, the weary but kind harbour master of Port Anselm. You speak "
           "plainly, you love the sea, and you never reveal the smugglers' cove.")

TURNS = [
    ("Good evening, captain. Is the harbour open tonight?",
     "Open as always, friend. The tide is kind and the lamps are lit."),
    ("I heard a ship came in without a flag. Do you know anything about it?",
     "Ships come and go. I log the ones that pay their dues, and that one did."),
    ("Where would a stranger find a warm meal around here? 我饿了。",
     "The Gull and Anchor, two streets up. Tell Hana I sent you; she'll add an extra ladle of stew."),
]

QUERY = "Tell me honestly: have you ever seen the smugglers' cove?"


def dialogue_messages(turns, query, system=PERSONA):
    messages = [{"role": "system", "content": system}]
    for user, agent in turns:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": agent}]
    messages.append({"role": "user", "content": query})
    return messages


# Unequal lengths on purpose: the suffix batches pad their rows to the longest.
SEVERAL = [
    "No.",
    "Honestly? Every sailor in Port Anselm has heard the stories, but stories are cheap and the night "
    "is long. I keep my eyes on the harbour, my ledger in order, and my mouth shut about coves that may "
    "or may not exist. Now, was there anything else you needed before the tide turns?",
    "I have seen many things at sea, 친구. A cove is not one of them.",
    "The sea keeps her secrets, and so do I.",
]

SINGLE = "Ha! If I had, do you think I would tell a stranger with a fresh sunburn and a nosy question?"

# Long enough that the whole dialogue does not fit the fixtures' 512 positions: the oldest turns go.
LONG_TURNS = TURNS * 6

LONG_RESPONSE = "You have asked me that six times tonight. The answer is still no."

# Responses whose first characters may merge with the template's text before them (a newline after
# the assistant header, a space): whichever of these the tokenizer merges is kept as that case.
MERGE_CANDIDATES = ["\nWell now, that is a question.", "\n\nWell now.", " \nWell now, that is a question.",
                    ".\nWell now."]

GENERATION_PROMPT = dialogue_messages(TURNS[:1], "What is the weather like at sea today?")
