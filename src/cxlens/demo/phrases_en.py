"""English phrase bank: per theme, templates whose {a}/{b} slots multiply into hundreds of sentences."""

SEP = " "

THEMES = {
    "billing_errors": {
        "templates": [
            "I was charged for {a} I never ordered {b}.",
            "My bill showed {a} {b}, and nobody could explain why.",
            "I found {a} on my invoice {b}, and it should not have been there.",
            "They added {a} {b} and it took ages to get the money back.",
            "Billing is a mess: {a} turned up {b} without any warning.",
        ],
        "a": ["a roaming fee", "a data add-on", "an early termination fee", "a premium SMS subscription",
              "a second line", "a device insurance charge"],
        "b": ["this month", "for the second month in a row", "again", "on my last bill", "twice in three months"],
    },
    "network_coverage": {
        "templates": [
            "The signal {a} is terrible {b}.",
            "Calls keep dropping {a}, {b}.",
            "I have no coverage {a} {b}, which is ridiculous for the price.",
            "Mobile data barely works {a} {b}.",
            "Coverage {a} is a joke {b}; I often have just one bar.",
        ],
        "a": ["at home", "in my office", "on the motorway", "in the metro", "in the north of the city", "at my parents' village"],
        "b": ["almost every evening", "since last month", "most of the time", "even after the so-called upgrade",
              "no matter what I try"],
    },
    "waiting_time": {
        "templates": [
            "I waited {a} {b} before anyone picked up.",
            "Spent {a} on hold {b}, which is simply unacceptable.",
            "The queue {b} took {a}; I almost gave up.",
            "It took {a} to reach a human {b}.",
            "{b_cap}, I was stuck in the waiting line for {a}.",
        ],
        "a": ["forty minutes", "over an hour", "half an hour", "nearly fifty minutes", "a ridiculous amount of time"],
        "b": ["at the call centre", "on the hotline", "yesterday", "last week", "when I called about my bill"],
        "b_cap": ["At the call centre", "On the hotline", "Yesterday", "Last week", "When I called about my bill"],
    },
    "price_value": {
        "templates": [
            "The price of {a} is too high for what you get {b}.",
            "I pay far too much for {a} {b}.",
            "Other operators offer more data for less; {a} is not worth the money {b}.",
            "The monthly fee for {a} keeps going up {b}, but the service stays the same.",
            "Honestly, {a} is overpriced {b}.",
        ],
        "a": ["my plan", "this tariff", "the unlimited bundle", "the family plan", "the roaming pass"],
        "b": ["compared with the competition", "these days", "for a basic service", "after the last increase",
              "in my opinion"],
    },
    "app_experience": {
        "templates": [
            "The app {a} {b}.",
            "Your app {a} {b}, which is really frustrating.",
            "I tried to pay my bill but the app {a} {b}.",
            "The new version of the app {a} {b}.",
            "Sorry, but the app {a} {b} and I end up calling instead.",
        ],
        "a": ["crashes", "logs me out", "freezes on the payment screen", "shows the wrong balance", "is painfully slow",
              "keeps asking for the password"],
        "b": ["all the time", "since the last update", "every single week", "whenever I need it most",
              "on both my phones"],
    },
    "friendly_staff": {
        "templates": [
            "The {a} was really friendly {b}.",
            "Big thanks to the {a}, who was kind and patient {b}.",
            "I was impressed by how helpful the {a} was {b}.",
            "The {a} treated me with respect and took time to explain everything {b}.",
            "Lovely {a}: polite, knowledgeable and patient.",
        ],
        "a": ["lady in the store", "agent on the phone", "young man at the counter", "chat agent", "shop manager",
              "technician"],
        "b": ["from start to finish", "even though I was upset", "yesterday", "during my visit", "as always"],
    },
    "fast_resolution": {
        "templates": [
            "My problem was solved {a} {b}.",
            "They fixed the issue {a} {b}, I did not expect that.",
            "Everything was sorted out {a} {b}.",
            "Great service: the fault was repaired {a} {b}.",
            "I am glad the issue was resolved {a} {b}.",
        ],
        "a": ["within minutes", "in one call", "on the same day", "in less than an hour", "right away", "at the first attempt"],
        "b": ["without any hassle", "and they even called back to check", "with no paperwork",
              "and I did not have to repeat myself", "which is exactly what I need"],
    },
}

OPENERS = {
    "neg": ["Honestly,", "To be frank,", "Not happy.", "Disappointed.", "Seriously,", "Where do I start?"],
    "pos": ["Well done.", "Overall good.", "Very satisfied.", "Credit where it is due.", "Happy customer here."],
}
CLOSERS = {
    "neg": ["Please fix this.", "I am thinking about switching.", "Not acceptable.", "Do better.",
            "Very frustrating.", "I expected more from you."],
    "pos": ["Keep it up!", "Thank you!", "I will recommend you.", "That is how it should be.", "Great job."],
}
CONTRAST = {
    "neg_to_pos": ["To be fair, not everything is bad.", "On the bright side:", "Still, one good thing:"],
    "pos_to_neg": ["But there is a catch.", "However, one thing annoys me.", "Still, something has to change."],
    "same": ["And another thing:", "Also:", "On top of that,"],
}

TICKETS = {
    "billing_error": ["Charged twice for the same month", "Unknown charge on invoice", "Refund not received for wrong fee"],
    "network_coverage": ["No signal at home", "Calls drop in the office", "Coverage lost after tower work"],
    "slow_data": ["Mobile data very slow", "4G speed below 1 Mbps", "Internet keeps disconnecting"],
    "device_fault": ["Phone does not charge", "Screen flickers after update", "SIM card not recognised"],
    "app_issue": ["Cannot log in to the app", "App crashes at payment", "Balance wrong in app"],
    "plan_change_request": ["Wants to switch to a bigger data plan", "Asks to remove add-on", "Change tariff from next month"],
    "roaming_charges": ["High roaming charges after trip", "Roaming pass not applied", "Charged for data abroad"],
}
