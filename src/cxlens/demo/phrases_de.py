"""German phrase bank; slots are chosen so every combination is grammatical (case and word order)."""

SEP = " "

THEMES = {
    "billing_errors": {
        "templates": [
            "Mir wurde {b} {a} berechnet, obwohl ich nichts davon bestellt habe.",
            "Auf meiner Rechnung stand {b} {a}, und niemand konnte mir erklären, warum.",
            "Sie haben mir {b} {a} untergeschoben, und die Erstattung hat ewig gedauert.",
            "Die Abrechnung ist ein Chaos, {b} tauchte plötzlich {a} auf.",
            "Schon wieder Ärger mit der Rechnung, denn {b} wurde {a} ohne mein Einverständnis hinzugefügt.",
        ],
        "a": ["eine Roaminggebühr", "eine Datenoption", "eine Kündigungsgebühr", "ein Premium-SMS-Abo",
              "eine zweite Leitung", "eine Handyversicherung"],
        "b": ["diesen Monat", "zum zweiten Mal in Folge", "schon wieder", "letzten Monat", "zweimal in drei Monaten"],
    },
    "network_coverage": {
        "templates": [
            "Der Empfang {a} ist {b} katastrophal.",
            "Gespräche {a} brechen {b} ab.",
            "Ich habe {a} {b} überhaupt kein Netz, und das bei diesem Preis.",
            "Mobile Daten funktionieren {a} {b} kaum.",
            "Die Netzabdeckung {a} ist {b} ein Witz, oft habe ich nur einen Balken.",
        ],
        "a": ["zu Hause", "im Büro", "auf der Autobahn", "in der U-Bahn", "im Norden der Stadt", "im Dorf meiner Eltern"],
        "b": ["fast jeden Abend", "seit letztem Monat", "meistens", "trotz des angeblichen Netzausbaus", "seit Wochen"],
    },
    "waiting_time": {
        "templates": [
            "Ich habe {b} {a} gewartet, bis endlich jemand abgenommen hat.",
            "Ich hing {b} {a} in der Warteschleife, das ist einfach inakzeptabel.",
            "Bis ich {b} einen Menschen erreicht habe, hat es {a} gedauert.",
            "Die Wartezeit {b} betrug {a}, ich hätte fast aufgelegt.",
            "Es ist eine Zumutung, dass ich {b} {a} warten musste.",
        ],
        "a": ["vierzig Minuten", "über eine Stunde", "eine halbe Stunde", "fast fünfzig Minuten", "eine gefühlte Ewigkeit"],
        "b": ["an der Hotline", "im Callcenter", "gestern", "letzte Woche", "bei meinem Anruf wegen der Rechnung"],
    },
    "price_value": {
        "templates": [
            "{a_cap} ist {b} viel zu teuer für das, was man bekommt.",
            "Ich zahle {b} viel zu viel für {a}.",
            "Andere Anbieter geben mehr Daten für weniger Geld, {a} lohnt sich {b} einfach nicht.",
            "Der Preis für {a} steigt {b} immer weiter, aber die Leistung bleibt gleich.",
            "Ehrlich gesagt ist {a} {b} überteuert.",
        ],
        "a": ["das Familienpaket", "die Flatrate", "das Datenpaket", "die Roaming-Option", "die monatliche Grundgebühr"],
        "a_cap": ["Das Familienpaket", "Die Flatrate", "Das Datenpaket", "Die Roaming-Option", "Die monatliche Grundgebühr"],
        "b": ["im Vergleich zur Konkurrenz", "inzwischen", "für so einen einfachen Dienst", "nach der letzten Preiserhöhung",
              "meiner Meinung nach"],
    },
    "app_experience": {
        "templates": [
            "Es nervt, dass die App {b} {a}.",
            "Schade, dass die App {b} {a}, so muss ich doch wieder anrufen.",
            "Ich verstehe nicht, warum die App {b} {a}.",
            "Ich ärgere mich, weil die App {b} {a}.",
            "Die neue Version ist ein Rückschritt, weil die App jetzt {b} {a}.",
        ],
        "a": ["abstürzt", "mich abmeldet", "bei der Zahlung hängen bleibt", "das falsche Guthaben anzeigt",
              "quälend langsam ist", "ständig nach dem Passwort fragt"],
        "b": ["dauernd", "seit dem letzten Update", "jede Woche", "genau dann, wenn ich sie brauche,", "auf beiden Handys"],
    },
    "friendly_staff": {
        "templates": [
            "{a_cap} war {b} wirklich freundlich.",
            "{a_cap} hat sich {b} viel Zeit genommen und alles geduldig erklärt.",
            "Ich war begeistert, wie hilfsbereit {a} {b} war.",
            "Ein großes Dankeschön, {a} war {b} freundlich und kompetent.",
            "{a_cap} hat mich {b} sehr respektvoll behandelt.",
        ],
        "a": ["die Dame im Shop", "der Mitarbeiter an der Hotline", "der junge Mann am Schalter", "die Chat-Beraterin",
              "der Filialleiter", "der Techniker"],
        "a_cap": ["Die Dame im Shop", "Der Mitarbeiter an der Hotline", "Der junge Mann am Schalter", "Die Chat-Beraterin",
                  "Der Filialleiter", "Der Techniker"],
        "b": ["von Anfang bis Ende", "gestern", "bei meinem Besuch", "wie immer", "trotz des Andrangs"],
    },
    "fast_resolution": {
        "templates": [
            "Mein Problem wurde {a} gelöst, {b}.",
            "Die Störung war {a} behoben, {b}.",
            "Super Service! Alles wurde {a} geklärt, {b}.",
            "Ich bin froh, dass das Problem {a} erledigt war, {b}.",
            "Man hat sich {a} um mein Anliegen gekümmert, {b}.",
        ],
        "a": ["innerhalb von Minuten", "mit einem einzigen Anruf", "noch am selben Tag", "in weniger als einer Stunde",
              "sofort", "beim ersten Versuch"],
        "b": ["ganz ohne Stress", "ohne Papierkram", "und man hat sogar zurückgerufen", "ohne dass ich alles wiederholen musste",
              "genau so, wie es sein soll"],
    },
}

OPENERS = {
    "neg": ["Sehr enttäuschend.", "Leider nicht gut.", "Ganz ehrlich?", "Was soll ich sagen.", "So nicht."],
    "pos": ["Sehr zufrieden.", "Alles in allem gut.", "Lob, wo Lob angebracht ist.", "Top!", "Ich bin begeistert."],
}
CLOSERS = {
    "neg": ["Bitte ändern Sie das.", "Ich überlege zu wechseln.", "So geht das nicht.", "Das muss besser werden.",
            "Sehr ärgerlich.", "Von Ihnen hätte ich mehr erwartet."],
    "pos": ["Weiter so!", "Vielen Dank!", "Ich empfehle Sie gerne weiter.", "So muss das sein.", "Tolle Arbeit."],
}
CONTRAST = {
    "neg_to_pos": ["Fairerweise muss ich sagen, dass nicht alles schlecht ist.", "Eine gute Sache gibt es aber.",
                   "Positiv ist immerhin Folgendes:"],
    "pos_to_neg": ["Aber es gibt einen Haken.", "Eine Sache stört mich allerdings.", "Trotzdem muss sich etwas ändern."],
    "same": ["Und noch etwas:", "Außerdem:", "Dazu kommt:"],
}

TICKETS = {
    "billing_error": ["Doppelte Abbuchung für denselben Monat", "Unbekannte Position auf der Rechnung",
                      "Erstattung für falsche Gebühr fehlt"],
    "network_coverage": ["Kein Empfang zu Hause", "Gesprächsabbrüche im Büro", "Netz weg seit Bauarbeiten am Mast"],
    "slow_data": ["Mobile Daten sehr langsam", "4G unter 1 Mbit/s", "Internetverbindung bricht ständig ab"],
    "device_fault": ["Handy lädt nicht mehr", "Display flackert nach Update", "SIM-Karte wird nicht erkannt"],
    "app_issue": ["Login in der App nicht möglich", "App stürzt bei Zahlung ab", "Falsches Guthaben in der App"],
    "plan_change_request": ["Möchte größeres Datenpaket", "Zusatzoption soll entfernt werden", "Tarifwechsel zum nächsten Monat"],
    "roaming_charges": ["Hohe Roamingkosten nach Urlaub", "Roaming-Paket nicht gebucht", "Datenkosten im Ausland berechnet"],
}
