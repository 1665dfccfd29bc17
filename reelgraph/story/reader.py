"""Read a story: language, cast (names, roles, kinds, looks, colours), and its events in order with places and times.

Words are matched as whole tokens by lemma (``lexicon.lemma``), never as substrings: "searches" is not "sea".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from reelgraph.schema.script import Build, Season, TimeOfDay, Weather
from reelgraph.story import lexicon

TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+|[.!?;:,—–\"“”«»„()]")
ABBREV = {"mr", "mrs", "ms", "dr", "st", "prof", "jr", "sr", "mme", "mlle", "sra", "hr", "fr", "capt", "lt"}
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "lady", "lord", "captain", "capt", "professor", "prof", "aunt",
              "uncle", "grandma", "grandpa", "madame", "monsieur", "mme", "m", "mlle", "herr", "frau", "señor",
              "señora",
              "don", "doña", "sra", "sgt", "sergeant", "officer", "detective", "inspector", "king", "queen",
              "prince", "princess", "granny", "saint", "father", "sister", "brother", "coach", "agent", "judge"}
STREET_WORDS = {"street", "avenue", "road", "lane", "boulevard", "square", "park", "bridge", "station", "tower",
                "river", "lake", "mountain", "mountains", "island", "city", "bay", "hill", "hills", "market",
                "rue", "calle", "straße", "strasse", "platz", "plaza", "place", "gasse", "avenida", "church",
                "cathedral", "castle", "palace", "hotel", "cafe", "café", "restaurant", "school", "university"}
PLACE_PREPS = {"in", "at", "from", "near", "into", "across", "through", "around", "outside", "inside", "towards",
               "toward", "de", "à", "en", "aus", "nach", "bei", "im", "am", "zu", "desde", "hacia", "por", "dans"}
LANDMARK_PREPS = {"under", "behind", "beside", "below", "beneath"}
# a grandchild with no age given is a child ("his granddaughter Anna")
GRANDCHILDREN = {"granddaughter", "grandson", "grandchild", "grandkid", "petite-fille", "petit-fils", "enkelin",
                 "enkel", "nieta", "nieto"}
AGENTS = {"person", "robot"}  # who "they" gathers together: people and robots act alike; animals go with animals
# nouns whose capitalised word after them names a thing, not a person ("the starship Halcyon")
NAMED_THINGS = {"ship", "starship", "spaceship", "spacecraft", "boat", "yacht", "vessel", "ferry", "schooner",
                "freighter", "shuttle", "rocket", "submarine", "tugboat", "steamer", "liner", "train", "locomotive",
                "airship", "station", "planet", "moon", "asteroid", "comet", "galaxy", "nebula", "hotel", "inn",
                "tavern", "pub"}
ROOM_BAYS = {"cargo", "loading", "docking", "sick", "engine", "bomb", "shuttle", "hangar", "medical", "landing",
             "storage"}
# "the room" said where a scene already is ("music fills the room"): that place; going into one is a new place
SAME_ROOM = {"the room", "the whole room", "the little room", "the small room"}
INTO_ROOM = re.compile(r"\b(?:into|enters?|entering|entered|to)\s+(?:the\s+)?(?:whole\s+|little\s+|small\s+)?room\b",
                       re.I)
# nouns that are places only after a preposition ("on the boat"); otherwise things ("fixed the boat")
WEAK_PLACES = {"boat", "ship", "sailboat", "ice", "water", "roof", "train", "car", "bus", "tree", "waves", "stage"}


def _words(text: str) -> set[str]:
    return set(text.split())


# words that open sentences and are never names ("Soudain, un renard…", "Plötzlich …", "De repente …")
SENTENCE_ADVERBS = _words(
    "soudain soudainement ensuite enfin bientôt maintenant aujourd'hui hier demain pourtant cependant ainsi déjà "
    "ici là tard tôt aussitôt lentement doucement finalement heureusement malheureusement près loin vers chez "
    "plötzlich danach später schließlich endlich jetzt heute gestern morgen bald leider langsam "
    "repente entonces después finalmente pronto ahora hoy ayer mañana luego lentamente cerca lejos "
    "suddenly meanwhile afterwards finally")


# days and months: capitalised, never characters
CALENDAR = _words(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars "
    "avril mai juin juillet août septembre octobre novembre décembre montag dienstag mittwoch donnerstag freitag "
    "samstag sonntag januar februar märz juni juli oktober dezember lunes martes miércoles jueves viernes sábado "
    "domingo enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre "
    "christmas easter")
# titles and role words that say a character is a woman or a man (a German role in -in is a woman's)
FEMALE = _words(
    "mrs ms miss madam madame mme mlle frau fräulein señora señorita sra srta doña dame lady queen princess "
    "duchess countess empress aunt auntie grandma granny grandmother nan nana gran mother mum mom mommy mummy "
    "mama sister daughter granddaughter niece wife bride widow girl woman lady schoolgirl girlfriend actress "
    "waitress hostess heroine stewardess nun witch goddess vixen mare hen cow ewe doe sow "
    "femme fille mère grand-mère sœur soeur tante épouse reine dame voisine amie petite-fille "
    "mutter oma großmutter schwester tochter tante königin mädchen enkelin "
    "mujer niña chica madre abuela hermana hija tía esposa reina señora vecina amiga nieta doctora")
MALE = _words(
    "mr sir lord monsieur herr señor sr don king prince duke count emperor uncle grandpa grandad granddad "
    "grandfather father dad daddy papa brother son grandson nephew husband groom widower boy man gentleman "
    "schoolboy boyfriend actor waiter host hero steward monk wizard god stallion rooster bull ram buck boar "
    "homme garçon père grand-père frère oncle mari roi voisin ami petit-fils fils "
    "mann junge vater opa großvater bruder sohn onkel könig enkel "
    "hombre niño chico padre abuelo hermano hijo tío esposo marido rey vecino amigo nieto")
FEMALE_PRON = {"she", "her", "hers", "herself", "elle", "ella", "sie", "ihr", "ihre", "ihren", "ihrem", "ihrer"}
MALE_PRON = {"he", "him", "his", "himself", "il", "lui", "él", "er", "ihn", "ihm", "sein", "seine", "seinen",
             "seinem", "seiner"}
POSSESSIVE_PRON = {"her", "his", "its", "their", "son", "sa", "ses", "leur", "leurs", "su", "sus", "ihr", "ihre",
                   "ihren", "ihrem", "ihrer", "sein", "seine", "seinen", "seinem", "seiner"}
OBJECT_PRON = {"him", "them", "lui", "eux", "ihn", "ihm", "ihnen", "le", "les"}
INDEF_PERSONS = _words("nobody somebody everybody anybody someone everyone anyone no-one")
INDEF_THINGS = INDEF_PERSONS | _words("something anything everything nothing")  # never a name, never a cast member
NOT_AFTER_POSS = _words("again back away up down off out home too now then there here today tonight tomorrow "
                        "yesterday later once twice goodbye hello anyway instead first")
TOGETHER = {"together", "both", "ensemble", "zusammen", "juntos", "juntas"}
# a character only remembered, dead or far away: "his late grandmother", "misses her brother", "a photo of her father"
ABSENT_BEFORE = {"late", "dead", "deceased", "departed", "feu", "feue", "défunt", "défunte", "verstorbene",
                 "verstorbenen", "verstorbener", "difunto", "difunta", "fallecido", "fallecida"}
ABSENT_VERBS = {"miss", "remember", "mourn", "recall", "phone", "telephone", "text", "email", "dream", "bury",
                "regretter", "vermissen", "extrañar", "echar"}
ABSENT_NOUNS = {"photo", "photograph", "picture", "portrait", "memory", "grave", "tomb", "ghost", "letter", "story",
                "stories", "name", "photos", "pictures", "memories", "statue", "painting"}
ABSENT_AFTER = re.compile(r"^,?\s*(?:who|which|that)\s+(?:had\s+)?(?:died|passed|is\s+gone|was\s+killed|"
                          r"is\s+dead|has\s+died|lies\s+buried)\b", re.IGNORECASE)
COUNTING = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
            "seventeen eighteen nineteen twenty")
NUMBER_WORDS = {w: i for i, w in enumerate(COUNTING.split())} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
                                                                 "seventy": 70, "eighty": 80, "ninety": 90}
GERMAN_NOUN_ENDS = ("ung", "heit", "keit", "schaft", "tion", "tät", "chen", "lein", "ismus", "nis", "erin", "ium")


STOP = {
    "en": _words(
        "a an the and or but if then so of to in on at by for with without from into onto over under up down "
        "out off about after before while when where who whom whose which that this these those it its they "
        "them their he him his she her hers we us our you your i me my mine one two three four five six seven "
        "eight nine ten is are was were be been being has have had do does did not no yes as than too very "
        "just also only even still yet once each every all some any both either neither other another such "
        "there here now later finally suddenly meanwhile soon together across through around against between "
        "among until since because though although whilst whenever will would can could shall should may "
        "might must let lets how what why "
    ),
    "fr": _words(
        "le la les un une des du de d l au aux et ou mais donc or ni car que qui quoi dont où ce cet cette "
        "ces son sa ses leur leurs mon ma mes ton ta tes il elle ils elles on nous vous je tu lui se ne pas "
        "plus dans sur sous avec sans pour par en à est sont était être a ont avait puis quand pendant alors "
        "très tout tous toute toutes petit petite grand grande vieux vieille jeune chaque "
    ),
    "de": _words(
        "der die das den dem des ein eine einen einem einer eines und oder aber denn dass wer was wo wie sein "
        "seine seinen seinem seiner ihr ihre ihren ihrem ihrer mein meine er sie es wir ihr ich du man nicht "
        "kein keine in im am an auf unter mit ohne für von vom zu zum zur bei nach aus ist sind war waren hat "
        "haben dann als während wenn sehr alle jeden jede klein kleine kleinen alte alten junge dieser dieses "
        "diese diesen diesem jedes jedem jeder heute "
    ),
    "es": _words(
        "el la los las un una unos unas del de al y o pero que quien donde como su sus mi mis tu tus él ella "
        "ellos ellas nosotros vosotros yo se no en con sin para por sobre bajo es son era eran está están fue "
        "ha han luego cuando mientras muy todo todos toda todas pequeño pequeña viejo vieja joven cada este esta "
        "estos estas ese esa esos esas aquel aquella hoy "
    ),
}
PRONOUNS = {
    "en": {"he", "she", "him", "her", "his", "hers", "himself", "herself", "they", "them", "their", "it", "its"},
    "fr": {"il", "elle", "ils", "elles", "lui", "son", "sa", "ses", "leur", "leurs"},
    "de": {"er", "sie", "ihn", "ihm", "ihr", "ihre", "sein", "seine", "seinen", "ihren"},
    "es": {"él", "ella", "ellos", "ellas", "le", "lo", "su", "sus"},
}
PLURAL_PRONOUNS = {"they", "them", "their", "ils", "elles", "leur", "leurs", "ellos", "ellas", "sie"}
DETS = {"a", "an", "the", "his", "her", "their", "my", "our", "your", "its", "this", "that", "some", "every", "each",
        "le", "la", "les", "un", "une", "son", "sa", "ses", "leur", "der", "die", "das", "den", "dem", "ein", "eine",
        "einen", "einem", "einer", "sein", "seine", "seinen", "ihr", "ihre", "ihren", "el", "los", "las", "una",
        "su", "sus", "mi", "l", "d", "des", "du", "del", "al", "im", "am", "zum", "zur", "vom", "au", "aux"}
EN_DETS = {"a", "an", "the", "his", "her", "their", "my", "our", "your", "its", "this", "that", "some", "every", "each"}
"""English determiners alone: in an English story "son", "den" and "am" are words, not French or German articles."""
INDEF = {"a", "an", "un", "une", "ein", "eine", "einen", "einem", "einer", "una", "uno", "another", "some"}
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
           "twin": 2, "twins": 2, "pair": 2, "deux": 2,
           "trois": 3, "quatre": 4, "zwei": 2, "drei": 3, "vier": 4, "dos": 2, "tres": 3, "cuatro": 4, "2": 2,
           "3": 3, "4": 4, "5": 5, "6": 6, "both": 2}
NAMING = {"named", "called", "nommé", "nommée", "appelé", "appelée", "llamado", "llamada", "namens", "genannt"}
SUBJ_BLOCK = {"i", "you", "he", "she", "it", "we", "they", "to", "will", "would", "can", "could", "must", "should",
              "shall", "may", "might", "not", "never", "always", "often", "also", "then", "who", "that", "il", "elle",
              "ils", "er", "sie", "él", "ella", "ellos"}
SPLITS = re.compile(
    r";|\s—\s|,\s+and\s+(?!then\s)|,\s*(?:and\s+)?then\s|\s+and\s+then\s|,\s+but\s|\s+but\s|\s+while\s|,\s+when\s|\s+until\s|"
    r",\s*puis\s|\s+puis\s|\s+mais\s|\s+quand\s|\s+pendant\s+que\s|,\s*dann\s|\s+aber\s|,\s+als\s|\s+während\s|"
    r",\s*luego\s|\s+luego\s|\s+pero\s|\s+cuando\s|\s+mientras\s", re.IGNORECASE)
FEATURES = {"beard": "beard", "moustache": "moustache", "mustache": "moustache", "glasses": "glasses",
            "spectacles": "glasses", "hat": "hat", "cap": "cap", "braid": "braids", "braids": "braids",
            "ponytail": "ponytail", "scarf": "scarf", "eyepatch": "eyepatch", "apron": "apron", "helmet": "helmet",
            "bald": "bald", "freckles": "freckles", "scar": "scar", "cane": "cane", "backpack": "backpack",
            "beret": "beret", "crown": "crown", "cape": "cape", "hood": "hood", "gloves": "gloves", "collar": "collar",
            "antenna": "antenna", "wings": "wings", "horns": "horns", "tail": "tail", "bun": "bun", "mask": "mask",
            "lunettes": "glasses", "barbe": "beard", "chapeau": "hat", "Brille": "glasses", "Bart": "beard",
            "Hut": "hat", "gafas": "glasses", "barba": "beard", "sombrero": "hat", "tablier": "apron"}
WEAR = {"coat", "jacket", "dress", "shirt", "sweater", "jumper", "hoodie", "raincoat", "oilskin", "robe", "uniform",
        "suit", "cardigan", "shawl", "cloak", "overalls", "apron", "trousers", "jeans", "skirt", "boots", "scarf",
        "hat", "vest", "blouse", "tunic", "armour", "armor", "gloves", "manteau", "veste", "pull", "Mantel",
        "Jacke", "Kleid", "abrigo", "chaqueta", "vestido", "gi", "shorts"}
SLOT1 = {"trousers", "pants", "jeans", "skirt", "boots", "shoes", "legs", "markings", "spots", "stripes", "shorts",
         "paws", "socks"}
SLOT2 = {"hair", "beard", "braids", "ponytail", "hat", "cap", "scarf", "eyes", "mane", "feathers", "bun", "beret"}
AGE_WORDS = {"old": "elder", "elderly": "elder", "aged": "elder", "ancient": "elder", "retired": "elder",
             "grey-haired": "elder", "white-haired": "elder", "wrinkled": "elder", "baby": "child",
             "infant": "child", "toddler": "child", "adolescent": "teen", "teenaged": "teen",
             "little": "child", "teenage": "teen", "young": "", "vieux": "elder", "petite": "child",
             "vieille": "elder",
             "alte": "elder", "alter": "elder", "alten": "elder", "viejo": "elder", "vieja": "elder",
             "anciano": "elder"}
BUILD_WORDS: dict[str, Build] = {
    "tall": "tall", "lanky": "tall", "short": "short", "tiny": "short", "small": "short", "broad": "broad",
    "burly": "broad", "stocky": "broad", "muscular": "broad", "big": "broad", "huge": "broad", "hulking": "broad",
    "slight": "slight", "thin": "slight", "skinny": "slight", "slender": "slight", "wiry": "slight", "petite": "slight",
    "grand": "tall", "grande": "tall", "petit": "short"}
TIME_WORDS: dict[str, TimeOfDay] = {
    "dawn": "dawn", "sunrise": "dawn", "daybreak": "dawn", "aube": "dawn", "amanecer": "dawn", "morning": "day",
    "noon": "day", "midday": "day", "afternoon": "day", "matin": "day", "morgen": "day", "mañana": "day",
    "sunset": "golden", "sundown": "golden", "dusk": "dusk", "evening": "dusk", "twilight": "dusk", "soir": "dusk",
    "abend": "dusk", "crépuscule": "dusk", "atardecer": "golden", "tarde": "dusk", "night": "night",
    "midnight": "night", "nighttime": "night", "nuit": "night", "nacht": "night", "noche": "night", "tonight": "night"}
WEATHER_WORDS: dict[str, Weather] = {
    "rain": "rain", "rainy": "rain", "drizzle": "rain", "downpour": "rain", "pluie": "rain", "pleuvoir": "rain",
    "regen": "rain", "lluvia": "rain", "llover": "rain", "snow": "snow", "snowy": "snow", "snowfall": "snow",
    "blizzard": "snow", "neige": "snow", "schnee": "snow", "nieve": "snow", "fog": "fog", "foggy": "fog", "mist": "fog",
    "misty": "fog", "brouillard": "fog", "nebel": "fog", "niebla": "fog", "storm": "storm", "stormy": "storm",
    "thunder": "storm", "thunderstorm": "storm", "lightning": "storm", "tempest": "storm", "orage": "storm",
    "tempête": "storm", "sturm": "storm", "gewitter": "storm", "tormenta": "storm", "wind": "wind", "windy": "wind",
    "gale": "wind", "gust": "wind", "gusty": "wind", "breeze": "wind", "breezy": "wind", "vent": "wind",
    "viento": "wind", "sunny": "clear", "calm": "clear", "calma": "clear", "calme": "clear"}
# the sun said to set or rise: the light of that hour
SUN_HOURS: list[tuple[re.Pattern[str], TimeOfDay]] = [
    (re.compile(r"\bsun\s+(?:goes|went|is\s+going|sets|set|is\s+setting|sinks|sank|dips|slips)\b", re.I), "golden"),
    (re.compile(r"\bsun\s+(?:comes|came|is\s+coming)\s+up\b|\bsun\s+(?:rises|rose|is\s+rising)\b", re.I), "dawn")]
SEASON_WORDS: dict[str, Season] = {
    "spring": "spring", "springtime": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn",
    "winter": "winter", "printemps": "spring", "été": "summer", "automne": "autumn", "hiver": "winter",
    "frühling": "spring", "sommer": "summer", "herbst": "autumn", "primavera": "spring", "verano": "summer",
    "otoño": "autumn", "invierno": "winter"}
PASSING = re.compile(r"\b(?:years?|months?|weeks?|days?|hours?) later\b|\bnext (?:morning|day|night|year)\b|"
                     r"\bfollowing (?:morning|day|year)\b|\blendemain\b|\bans plus tard\b|\bjahre später\b|"
                     r"\bam nächsten\b|\baños después\b|\bal día siguiente\b|\beventually\b", re.IGNORECASE)
CONTINUE = re.compile(r"\b(?:keeps?|kept|continues?|continued|still|goes on|went on|on and on|carries on)\b",
                      re.IGNORECASE)
EMOTION = {"cry", "weep", "sob", "tear", "smile", "laugh", "grin", "fear", "afraid", "scared", "terrified", "panic",
           "nervous", "shock", "gasp", "scream", "hug", "kiss", "embrace", "proud", "joy", "happy", "sad", "angry",
           "rage", "pleurer", "sourire", "rire", "weinen", "lächeln", "lachen", "llorar", "sonreír", "reír", "tremble",
           "blush", "frown", "relieved", "heartbroken", "grief", "delighted", "beam", "nod", "shiver", "realise",
           "realize", "stare", "freeze", "sigh"}
MEET = {"meet", "talk", "speak", "say", "ask", "tell", "argue", "whisper", "greet", "teach", "show", "explain",
        "answer", "reply", "shout", "call", "thank", "promise", "confess", "rencontrer", "parler", "dire",
        "treffen", "sprechen", "sagen", "encontrar", "hablar", "decir", "agree", "introduce", "join"}
LOOK = {"look", "watch", "see", "stare", "gaze", "read", "study", "examine", "notice", "spot", "regarder",
        "schauen", "mirar", "observe", "inspect", "peer"}
TRAVEL = {"run", "race", "chase", "walk", "travel", "drive", "ride", "fly", "sail", "flee", "escape", "cross",
          "climb", "wander", "hurry", "rush", "follow", "jog", "sprint", "courir", "marcher", "laufen", "rennen",
          "gehen", "correr", "caminar", "swim", "march", "dash", "leave", "arrive", "head", "return", "search",
          "hunt", "train"}
RISE = {"climb", "rise", "jump", "soar", "lift", "fly", "reach", "grow", "ascend", "stand"}
FALL = {"fall", "drop", "sink", "collapse", "dive", "slip", "kneel", "sit", "bow"}
CROWD_WORDS = _words("everyone everybody villagers townsfolk townspeople onlookers spectators")
# words that say someone speaks the quoted words ("says", "asks", "whispers"; lemmas and the usual forms)
SPEECH = _words(
    "say says said ask asks asked whisper whispers whispered shout shouts shouted yell yells yelled cry cries "
    "cried call calls called reply replies replied answer answers answered murmur murmurs murmured mutter mutters "
    "muttered scream screams screamed exclaim exclaims exclaimed add adds added snap snaps snapped sigh sighs sighed "
    "hiss hisses hissed plead pleads pleaded beg begs begged warn warns warned announce announces announced "
    "declare declares declared gasp gasps gasped growl growls growled bark barks barked sing sings sang laugh laughs "
    "laughed insist insists insisted tell tells told grumble grumbles grumbled mumble mumbles mumbled groan "
    "groans groaned chuckle chuckles chuckled giggle giggles giggled sob sobs sobbed stammer stammers stammered "
    "bellow bellows bellowed roar roars roared explain explains explained promise promises promised admit admits "
    "admitted protest protests protested interrupt interrupts interrupted remark remarks remarked joke jokes joked "
    "tease teases teased cheer cheers cheered "
    "explique expliqué grogne grogné marmonne marmonné souffle soufflé s'exclame rétorque rétorqué "
    "dit dis demande demandé murmure murmuré crie crié répond répondu chuchote chuchoté s'écrie lance ajoute "
    "sagt sagte fragt fragte ruft rief flüstert flüsterte antwortet antwortete schreit schrie meint meinte "
    "brummt brummte erklärt erklärte "
    "dice dijo pregunta preguntó grita gritó susurra susurró responde respondió exclama exclamó murmura murmuró "
    "explica explicó añade añadió contesta contestó")
QUOTE = re.compile(r'"([^"\n]{1,600})"|“([^”"\n]{1,600})”|«\s*([^»\n]{1,600}?)\s*»|„([^“”"\n]{1,600})[“”]')


def quote_spans(text: str) -> list[tuple[int, int, str]]:
    """The quoted speech in `text` ("…", “…”, «…», „…“): (start of the opening mark, end of the closing mark, the
    quoted words)."""
    out = []
    for m in QUOTE.finditer(text):
        words = next(g for g in m.groups() if g is not None).strip().rstrip(",;:—– ")  # '"Keep up," he says'
        if re.search(r"[^\W\d_]", words):
            out.append((m.start(), m.end(), words))
    return out


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"<[^>]{0,200}>", " ", text)  # markup
    text = "".join(ch if (ch.isprintable() or ch in "\n\t") else " " for ch in text)
    return text


@dataclass
class Tok:
    """One token: text (an English possessive 's cut off), lower case, lemma, noun category, offsets in the prompt."""
    text: str
    low: str
    lem: str
    cat: str | None
    start: int
    end: int
    poss: bool = False  # "farmer's": an owner, not someone in the scene


@dataclass
class Member:
    """One cast member as read from the story."""

    name: str
    role: str
    kind: str = "person"
    age: str = "adult"
    build: Build = "average"
    named: bool = False
    mentions: int = 0
    subject: int = 0
    first: int = 0
    look: list[str] = field(default_factory=list)
    wardrobe: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    colours: dict[int, str] = field(default_factory=dict)
    aliases: set[str] = field(default_factory=set)
    key: str = ""
    gender: str = ""  # "f", "m" or unknown
    doing: str = ""  # what the story first has them do ("runs a tiny repair shop")


@dataclass
class Event:
    """One event of the story: a clause with who, where and when."""

    text: str
    members: list[int]
    place: str | None
    place_words: str
    new_place: bool
    time_of_day: TimeOfDay | None = None
    weather: Weather | None = None
    season: Season | None = None
    crowd: bool = False
    emotion: bool = False
    meet: bool = False
    look: bool = False
    travel: bool = False
    rise: bool = False
    fall: bool = False
    passing: bool = False
    goes_on: bool = False
    objects: list[str] = field(default_factory=list)
    place_prep: bool = False  # the place came after a place preposition ("in the cave", not "the water is low")
    building: str = ""  # "the old observatory": a building the place keys do not cover, said after "at"/"in"
    paragraph: int = 0
    lemmas: list[str] = field(default_factory=list)
    said: list[tuple[int, str]] = field(default_factory=list)  # (cast index, quoted words) the event's speakers say


@dataclass
class Story:
    """What the reader understood."""

    lang: str
    cast: list[Member]
    events: list[Event]
    first_sentence: str
    lemmas: list[str]


def detect_language(text: str) -> str:
    """The prompt's language among en/fr/de/es, by counting function words (ties go to English)."""
    words = re.findall(r"[^\W\d_]+", text[:4000].lower())
    scores = {lang: sum(1 for w in words if w in STOP[lang]) for lang in lexicon.LANGS}
    # words shared by the lists count less: only the best score wins when it clearly leads
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    return best if scores[best] > scores["en"] * 1.15 or best == "en" else "en"


TITLE_WORDS = {"mr", "mrs", "ms", "miss", "dr", "mme", "mlle", "herr", "frau", "señor", "señora", "sra", "don", "doña",
               "sir", "lady", "madame", "monsieur", "grandma", "grandpa", "granny", "aunt", "uncle", "prof",
               "professor", "captain", "nurse", "chef", "dame", "st"}


def _caseless(text: str) -> bool:
    """All lower case or ALL CAPS: capitals say nothing about names."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 8:
        return False
    upper = sum(c.isupper() for c in letters)
    return upper == 0 or upper / len(letters) > 0.8


def _truecase(text: str, lang: str) -> str:
    """Give caseless text ordinary capitals: sentence starts, "I", titles and names.

    A name is a word after a title or a naming word ("mr penhaligon", "a girl called saoirse"), or (English) a word
    that is no English word at all ("noor", "priya") or a word followed by ", the/a <role>" ("joy, the new temp").
    """
    low = text.lower()
    words = list(re.finditer(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", low))
    caps: set[int] = set()
    stop = set().union(*STOP.values())
    known = lexicon.english_words() if lang == "en" else frozenset()
    for k, m in enumerate(words):
        w = re.sub(r"['’]s$", "", m.group(0))
        prev = words[k - 1].group(0) if k else ""
        between = low[words[k - 1].end():m.start()] if k else ""
        nxt = low[m.end():m.end() + 40]
        after_title = prev in TITLE_WORDS and between.strip(" .") == ""
        if w in stop or (w in CALENDAR and not after_title) or len(w) < 2 or re.search(r"['’](?:re|ve|ll|d|m|t)$", w):
            continue  # "they're", "we'll": a pronoun, never a name
        after_naming = prev in NAMING and between.strip() == ""
        unknown = lang == "en" and len(w) > 2 and w not in known and lexicon.lemma(w) not in known and \
            "-" not in w and lexicon.category(w) is None
        appos = re.match(r",\s+(?:the|a|an|our|his|her|their)\s+(?:\w+\s+){0,2}(\w+)", nxt)
        role = appos is not None and (lexicon.category(appos.group(1), lang) or "").startswith(("p", "a"))
        # "his grandson milo": a noun-only word right after a person noun is that person's name
        after_role = k > 1 and between.strip() == "" and (lexicon.category(prev, lang) or "").startswith(
            ("p", "a")) and words[k - 2].group(0) in DETS and w in lexicon.only_nouns()
        # "tom spilling his coffee": a first name WordNet knows only as a noun, with no article before it
        given = lang == "en" and _given_name(w) and prev not in DETS and not (lexicon.category(w) or "").startswith(
            ("l:", "g"))
        if after_title or after_naming or unknown or role or after_role or given:
            caps.add(k)
            if after_title:
                caps.add(k - 1)
    named = {re.sub(r"['’]s$", "", words[k].group(0)) for k in caps if words[k].group(0) not in TITLE_WORDS}
    caps |= {k for k, m in enumerate(words) if re.sub(r"['’]s$", "", m.group(0)) in named}  # the name everywhere
    out = list(low)
    for k in caps:
        out[words[k].start()] = out[words[k].start()].upper()
    text = "".join(out)
    text = re.sub(r"(^|[.!?]\s+|\n\s*)([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), text)
    return re.sub(r"\bi\b", "I", text)


def _tokens(sentence: str, base: int, lang: str) -> list[Tok]:
    out = []
    for m in TOKEN.finditer(sentence):
        t = m.group(0).replace("’", "'")
        poss = False
        if lang == "en" and re.search(r"'s$", t, re.IGNORECASE):
            t = t[:-2]
            poss = True
        shown = t
        if lang in {"fr", "es"} and re.match(r"^(?:[ldjnsmtc]|qu)'", t, re.IGNORECASE):
            t = t.split("'", 1)[1] or t  # "l'aube": look up "aube", show "l'aube"
        low = t.lower()
        lem = lexicon.lemma(t, lang) if t[0].isalpha() else low
        cat = lexicon.category(t, lang) if t[0].isalpha() else None
        out.append(Tok(shown if shown != t else t, low, lem, cat, base + m.start(), base + m.end(), poss))
    return out


def _sentences(text: str) -> list[tuple[int, int, str]]:
    """(paragraph, offset, sentence): split on . ! ? not after an abbreviation, and on blank lines."""
    out = []
    pos = 0
    for p, para in enumerate(re.split(r"\n\s*\n", text)):
        start = 0
        quotes = quote_spans(para)
        for m in re.finditer(r"[.!?]+[\"”»“]?(?=\s|$)|\n", para):
            if any(a < m.start() < b and m.end() != b for a, b, _ in quotes):
                continue  # "Run! Now!" is one quote
            if m.group(0)[-1] in "\"”»“" and not re.match(r"\s*(?:[\"“«„]|[^\W\d_]*[A-ZÀ-Þ])", para[m.end():]):
                continue  # '"Run!" says Mara': the sentence goes on after the quote
            said_by = re.match(r"\s*[^\W\d_]+\s+([^\W\d_]+)", para[m.end():])
            opening = next((a for a, b, _ in quotes if b == m.end()), m.start())
            said_before = {w.lower() for w in re.findall(r"[^\W\d_]+", para[start:opening])[-3:]} & SPEECH
            if m.group(0)[-1] in "\"”»“" and said_by and said_by.group(1).lower() in SPEECH and not said_before:
                continue  # '"Run!" Mara says.' (but 'Tom asks: "Why?" She whispers …' is two sentences)
            before = re.search(r"([^\W\d_]+)$", para[start:m.start()])
            if m.group(0) == "." and before and before.group(1).lower() in ABBREV:
                continue
            if m.group(0) == "." and before and len(before.group(1)) == 1 and before.group(1).isupper():
                continue
            chunk = para[start:m.end()].strip()
            if chunk:
                out.append((p, pos + start, chunk))
            start = m.end()
        chunk = para[start:].strip()
        if chunk:
            out.append((p, pos + start, chunk))
        pos += len(para) + 2
    return out


LOWER_SEEN: set[str] = set()


def _is_name_token(tok: Tok, prev: Tok | None, lang: str, sentence_start: bool) -> bool:
    t = tok.text
    if not t[0].isupper() or not t[0].isalpha() or len(t) > 30:
        return False
    if t.isupper() and len(t) > 3:  # SHOUTED words are not names
        return False
    if tok.low in STOP[lang] or tok.low in STOP["en"] and lang == "en" or tok.low in INDEF_THINGS:
        return False
    if tok.low in STREET_WORDS or tok.low in CALENDAR or tok.low in SENTENCE_ADVERBS:
        return False
    if t in lexicon.geo_names() and not (tok.low in lexicon.given_names() and prev is not None
                                         and prev.low not in PLACE_PREPS | {"to", "via", "of", "over"}
                                         and not sentence_start):
        return False  # "in Florence" is a city; "her daughter Florence", "her son Leo" are people
    if prev is not None and prev.text.isdigit():
        return False  # "a 1972 Beetle", "the 1984 Olympics": a model or an event, not a person
    if lang == "de":
        if prev and (prev.low in DETS | STOP["de"] or prev.text[:1].islower() and (prev.low in PLACE_PREPS or (
                prev.low.endswith(("e", "en", "er", "es", "em", "ig", "lich", "isch", "zig"))))):
            return False  # "Der Zug", "ein halbes Brötchen", "jeden Morgen": German nouns after an article/adjective
        return tok.cat is None and not tok.low.endswith(GERMAN_NOUN_ENDS)
    if lang == "en" and prev is not None and prev.low in EN_DETS and not sentence_start:
        return False  # "the Rusty Anchor", "My Way": a venue or a title, not a person
    if tok.cat is not None and tok.low not in HONORIFICS and not (lang == "en" and _given_name(tok.low)) and (
            sentence_start or tok.low in LOWER_SEEN or not tok.cat.startswith(("p", "a", "o"))):
        return False
    if lang != "en" and prev and prev.text in {'"', "“", "«", "„"}:
        return tok.low in lexicon.given_names()  # « Reviens ici ! »: a quote opens on a verb more than on a name
    if sentence_start or (prev and prev.text in {'"', "“", "«", "„", "(", ":"}):
        return (tok.low not in lexicon.english_words() and tok.lem not in lexicon.english_words()) or \
            _given_name(tok.low)
    return True


GROUPS = {
    "es": re.compile(r"\b(?:los|las|ambos|ambas|todos\s+los|todas\s+las)\s+(dos|tres|cuatro)\b|\b(ambos|ambas)\b"),
    "fr": re.compile(r"\b(?:tous\s+les|toutes\s+les|les)\s+(deux|trois|quatre)\b"),
    "de": re.compile(r"\b(?:die|alle)\s+(beiden|drei|vier)\b|\b(beide)\b"),
}
GROUP_SIZE = {"dos": 2, "tres": 3, "cuatro": 4, "ambos": 2, "ambas": 2, "deux": 2, "trois": 3, "quatre": 4,
              "beiden": 2, "beide": 2, "drei": 3, "vier": 4}


def group_count(low_text: str, lang: str) -> int | None:
    """How many a group phrase of a story not in English counts ("los dos", "tous les trois", "die beiden")."""
    pattern = GROUPS.get(lang)
    m = pattern.search(low_text) if pattern else None
    return GROUP_SIZE.get(next(g for g in m.groups() if g)) if m else None


def n1_is_verb(toks: list[Tok], i: int) -> bool:
    """Whether the word after toks[i] reads as its verb ("Amara waves", "Amara is"): then toks[i] is a subject."""
    n1 = toks[i + 1] if i + 1 < len(toks) else None
    return n1 is not None and n1.text.islower() and (n1.low in {"is", "was", "has", "had", "can", "will"} or (
        n1.low.endswith("s") and n1.low != n1.lem and n1.low not in STOP["en"] | PLACE_PREPS))


def _given_name(low: str) -> bool:
    """A common first name that WordNet knows only as a noun ("sam", "joy", "benny", "tom"): a name when capitalised.

    A first name that is also a verb or adjective ("will", "hope", "grace", "mark") is not taken on its own.
    """
    return low in lexicon.given_names() and (low in lexicon.only_nouns() or low not in lexicon.english_words()) and \
        not (lexicon.category(low) or "").startswith(("l:", "g"))


class Reader:
    """Reads one prompt into a Story."""

    def __init__(self, text: str) -> None:
        self.text = _norm(text)[:32_000]
        self.place_hints: list[str] = []
        self.lang = detect_language(self.text)
        if _caseless(self.text):
            self.text = _truecase(self.text, self.lang)
        self.recent: list[int] = []  # cast members in the order last mentioned (most recent last)
        self.members_now: list[int] = []
        self.cast: list[Member] = []
        self.last: list[int] = []
        self.quotes_here: list[tuple[int, int, str]] = []  # the sentence's quoted speech (offsets in the prompt)

    # -- cast ------------------------------------------------------------------------------------------------
    def _find_name(self, name: str) -> int | None:
        key = name.lower()
        for i, m in enumerate(self.cast):
            if key in m.aliases:
                return i
        return None

    def _add(self, member: Member) -> int:
        member.key = member.name.lower()
        member.aliases.add(member.key)
        self.cast.append(member)
        return len(self.cast) - 1

    def _describe(self, idx: int, toks: list[Tok], lo: int, hi: int) -> None:
        """Adjectives before a mention (toks[lo:i]) and 'in/with/wearing ...' after it (from hi)."""
        m = self.cast[idx]
        pre = [t for t in toks[lo:hi] if t.text[0].isalpha() and t.low not in DETS and t.low not in NUMBERS]
        for t in pre:
            if t.low in AGE_WORDS and AGE_WORDS[t.low] and m.kind == "person" and m.age == "adult":
                m.age = AGE_WORDS[t.low]
            if t.low in BUILD_WORDS:
                m.build = BUILD_WORDS[t.low]
            if t.low in lexicon.hand()["colours"]:
                m.colours.setdefault(0, lexicon.hand()["colours"][t.low])
            if (t.cat is None or t.cat.startswith(("l:", "o"))) and t.low not in STOP.get(self.lang, set()) and \
                    t.text not in m.look:
                m.look.append(t.text)
        # trailing description: "in a yellow oilskin coat", "with a grey beard", "wearing ..."
        j = hi + 1
        while j < len(toks) and toks[j].low in {"in", "with", "wearing", "en", "avec", "mit", "im", "con"}:
            k = j + 1
            phrase: list[Tok] = []
            while k < len(toks) and toks[k].text[0].isalpha() and len(phrase) < 6:
                if toks[k].low in {"and", "et", "und", "y"} and k + 1 < len(toks) and toks[k + 1].low in DETS | {
                        "a", "an"} | set(lexicon.hand()["colours"]):
                    phrase.append(toks[k])
                    k += 1
                    continue
                if toks[k].low in SUBJ_BLOCK or (phrase and toks[k].cat in {"p"} | {None} and toks[k].low in {
                        "and", "who", "that"}):
                    break
                phrase.append(toks[k])
                if toks[k].low in WEAR or toks[k].low in FEATURES or toks[k].text in FEATURES:
                    if k + 1 < len(toks) and toks[k + 1].low in {"and", "et", "und", "y"}:
                        k += 1
                        continue
                    break
                k += 1
            words = [t for t in phrase if t.low not in DETS]
            has_wear = any(t.low in WEAR or t.low in FEATURES or t.text in FEATURES for t in words)
            if has_wear or words and any(t.low in lexicon.hand()["colours"] for t in words):
                self._wear(m, words)
            else:
                break
            j = k + 1
        self._wear(m, [t for t in pre], wardrobe=False)

    def _wear(self, m: Member, words: list[Tok], wardrobe: bool = True) -> None:
        colours = lexicon.hand()["colours"]
        for i, t in enumerate(words):
            feat = FEATURES.get(t.low) or FEATURES.get(t.text)
            if feat and feat not in m.features and len(m.features) < 8:
                m.features.append(feat)
            if t.low in colours:
                nxt = next((w.low for w in words[i + 1:] if w.low not in colours), "")
                slot = 1 if nxt in SLOT1 else 2 if nxt in SLOT2 else 0
                if slot == 0 and nxt in {"eye"} | {"one"}:
                    continue
                m.colours.setdefault(slot, colours[t.low])
        if wardrobe:
            phrase = " ".join(t.text for t in words if t.low not in {"and", "et", "und", "y"})
            if phrase and phrase not in m.wardrobe:
                m.wardrobe.append(phrase)
        one_eye = any(t.low == "one" for t in words) and any(t.low in {"eye", "eyed"} for t in words)
        if one_eye and "one eye" not in m.features:
            m.features.append("one eye")

    # -- who is who ----------------------------------------------------------------------------------------
    def _seen(self, idx: int) -> None:
        if idx in self.recent:
            self.recent.remove(idx)
        self.recent.append(idx)

    def _set_gender(self, idx: int, word: str, det: str = "") -> None:
        """A character's gender from a title or role word ("Mrs", "grandmother", "Nachbarin", "la voisine")."""
        m = self.cast[idx]
        if m.gender:
            return
        w = word.lower().rstrip(".")
        if w in FEMALE:
            m.gender = "f"
        elif w in MALE:
            m.gender = "m"
        elif self.lang == "de" and m.kind == "person" and w.endswith("in") and len(w) > 5:
            m.gender = "f"  # Trainerin, Nachbarin
        elif self.lang in {"fr", "es"} and det in {"la", "une", "una", "las", "unas"}:
            m.gender = "f"
        elif (self.lang in {"fr", "es"} and det in {"le", "un", "el", "uno", "los", "unos"}) or (
                self.lang == "de" and det in {"der", "ein"}):
            m.gender = "m"

    def _resolve(self, gender: str, exclude: set[int]) -> int | None:
        """The character a pronoun of this gender points back to: the latest one of that gender, else the latest
        one whose gender is not yet known (who then has it), else none."""
        cands = [k for k in reversed(self.recent + [m for m in self.members_now if m not in self.recent])
                 if k not in exclude]
        if not gender:
            return cands[0] if cands else None
        for k in cands:
            if self.cast[k].gender == gender:
                return k
        for k in cands:
            if not self.cast[k].gender:
                self.cast[k].gender = gender
                return k
        return None

    def _pronoun(self, t: Tok, nxt: Tok | None, i: int, toks: list[Tok], members: list[int],
                 poss_owners: list[int]) -> None:
        """Resolve one pronoun by gender and number: subjects and objects are in the event; possessives ("her
        grey cat") only say whose, and count as the owner's appearance only when nobody else is in the event."""
        low = t.low
        lang = self.lang
        if low in TOGETHER and nxt is not None and nxt.low in {"with", "avec", "mit", "con"}:
            return
        plural = low in TOGETHER or (low in PLURAL_PRONOUNS and low != "sie") or low in {"eux", "ihnen"}
        if lang == "en" and low == "her":
            poss = nxt is not None and nxt.text[:1].isalpha() and nxt.low not in DETS | INDEF | PLACE_PREPS and \
                nxt.low not in STOP["en"] | set(NUMBERS) | NOT_AFTER_POSS and not nxt.low.endswith("ly")
        else:
            poss = low in POSSESSIVE_PRON
        if low in {"it", "its"}:
            idx = next((k for k in self.last if self.cast[k].kind != "person"), None)
            if idx is not None and not poss and idx not in members:
                members.append(idx)
            return
        count = self._group_count(toks, i) if plural else None
        if count:  # "the three of them", "all of them", "both of them": that many of those last seen
            group = [k for k in [*self.last, *reversed(self.recent)] if k not in members]
            group = list(dict.fromkeys(group))[:count]
            (poss_owners if poss else members).extend(group)
            return
        if plural:
            group = [k for k in self.last if k not in members]
            persons = all(self.cast[k].kind in AGENTS for k in group) if group else True
            for k in reversed(self.recent):
                if len(group) >= 2:
                    break
                if k not in group and k not in members and (self.cast[k].kind in AGENTS) == persons:
                    group.append(k)  # people (and robots, who act as people) with people, animals with animals
            if poss:
                poss_owners.extend(group)
            else:
                members.extend(k for k in group if k not in members)
            return
        gender = "f" if low in FEMALE_PRON else "m" if low in MALE_PRON else ""
        if poss:
            subj = members[0] if members else None
            if subj is not None and self.cast[subj].gender in {gender, ""}:
                owner: int | None = subj  # "Lucas searches for his dog": his is Lucas's
                if gender and not self.cast[subj].gender:
                    self.cast[subj].gender = gender
            else:
                owner = self._resolve(gender, set())
            if owner is not None:
                poss_owners.append(owner)
            return
        is_object = low in OBJECT_PRON or (lang == "en" and low == "her") or (i > 0 and lang != "en" and
                                                                              low in {"lui", "le"})
        idx = self._resolve(gender, set(members) if is_object else set())
        if idx is not None and idx not in members:
            members.append(idx)

    def _weather_verb(self, toks: list[Tok], k: int) -> bool:
        """ "Vilem winds the key", "she storms out": a verb, not the weather."""
        t = toks[k]
        if self.lang != "en" or t.lem not in {"wind", "storm"} or t.low in {"wind", "storm"} and k and \
                toks[k - 1].low in DETS:
            return False
        prev = toks[k - 1] if k else None
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        return (prev is not None and (prev.text in self.names_here or prev.low in {"he", "she", "they", "i", "we",
                                                                                   "you", "to"})) or \
            (nxt is not None and nxt.low in DETS | {"up", "out", "off", "into", "in", "down", "his", "her", "their"})

    def _group_count(self, toks: list[Tok], i: int) -> int | None:
        """How many a plural pronoun counts: "the three of them" 3, "both of them" 2, "all of them" everyone."""
        if self.lang != "en" or i < 2 or toks[i - 1].low != "of" or toks[i].low not in {"them", "us"}:
            return None
        word = toks[i - 2].low
        return len(self.cast) if word == "all" else NUMBERS.get(word)

    def _absent(self, toks: list[Tok], i: int, lo: int) -> bool:
        """Whether the mention at toks[i] (its phrase from lo) is of someone not there: dead, remembered, pictured,
        or only phoned ("his late grandmother", "misses her brother", "a photo of her father", "who died")."""
        if any(x.low in ABSENT_BEFORE for x in toks[max(0, lo - 1):i]):
            return True
        if lo > 1 and toks[lo - 1].low in {"of", "from", "about", "de", "von", "del"} and any(
                x.low in ABSENT_NOUNS or x.lem in ABSENT_NOUNS for x in toks[max(0, lo - 4):lo - 1]):
            return True
        if any(x.lem in ABSENT_VERBS and x.text.islower() for x in toks[max(0, lo - 3):lo]):
            return True
        rest = " ".join(x.text for x in toks[i + 1:i + 7])
        return bool(ABSENT_AFTER.match(rest))

    def _doing(self, idx: int, toks: list[Tok], i: int) -> None:
        """What a character is first seen doing, from the words after them as subject ("runs a tiny shop")."""
        m = self.cast[idx]
        if m.doing:
            return
        j = i + 1
        while j < len(toks) and (toks[j].text in {".", ","} or toks[j].low in NAMING or (
                toks[j].text in self.names_here and toks[j].text[:1].isupper())):
            j += 1
        words: list[str] = []
        while j < len(toks) and toks[j].text[:1].isalpha() and len(words) < 10:
            if toks[j].low in {"while", "when", "and", "but", "until", "because", "who", "which", "et", "und", "y",
                               "mais", "pero", "aber", "quand", "cuando", "als", "how", "why", "what", "where"}:
                break
            if words and (toks[j].text in self.names_here or toks[j].low in {"his", "her", "their", "my", "our"}
                          and j + 1 < len(toks) and (toks[j + 1].cat or "").startswith("p")):
                break  # "shows his granddaughter Anna ...": someone else, not how this one looks
            if words and (toks[j].cat or "").startswith(("p", "a")) and toks[j].text.islower():
                # "befriends a stray robot": someone else, who would be drawn into this one's look: keep the words
                # before their noun phrase ("a stray"), then none that ends on a function word ("bread for")
                k = len(words)
                while k > 1 and (words[k - 1].lower() in DETS | INDEF or (toks[j - len(words) + k - 1].cat is None
                                                                        and words[k - 1].lower() not in STOP["en"])):
                    k -= 1
                words = words[:k]
                while len(words) > 1 and words[-1].lower() in STOP["en"] | DETS | INDEF:
                    words.pop()
                break
            words.append(toks[j].text)
            j += 1
        if words and words[0].islower() and words[0].lower() not in DETS | INDEF and len(words) >= 2:
            m.doing = " ".join(words)

    def _number_age(self, idx: int, toks: list[Tok], i: int) -> None:
        """An age given as a number: "Theo, seven,", "Ben, who is six", "a nine-year-old"."""
        m = self.cast[idx]
        n = None
        words = [x.low for x in toks[i + 1:i + 6]]
        if words[:1] == [","] and len(words) > 1:
            rest = words[1:]
            if rest[:2] == ["who", "is"] and len(rest) > 2:
                rest = rest[2:]
            w = rest[0]
            if (w in NUMBER_WORDS or w.isdigit()) and (len(rest) == 1 or rest[1] in {",", ".", "and", "years"}):
                n = NUMBER_WORDS.get(w) or int(w)
        for x in toks[max(0, i - 3):i]:
            hit = re.match(r"^(\w+)-years?-old$", x.low)
            if hit:
                n = NUMBER_WORDS.get(hit.group(1)) or (int(hit.group(1)) if hit.group(1).isdigit() else None)
        if n and m.kind == "person" and 0 < n < 120:
            m.age = "child" if n < 13 else "teen" if n < 20 else "elder" if n >= 65 else "adult"

    def _names_after(self, toks: list[Tok], j: int) -> list[int]:
        """The names listed right after a group noun ("five friends — Ada, Bongani and Cleo", "the twins, Ollie and
        Rosie"): the group is those characters."""
        while j < len(toks) and toks[j].text in {",", "—", "–", ":", "("}:
            j += 1
        out: list[int] = []
        while j < len(toks):
            full = self.names_here.get(toks[j].text)
            if not full:
                break
            idx = self._find_name(full)
            if idx is None:
                break
            if idx not in out:
                out.append(idx)
            j += 1
            while j < len(toks) and (toks[j].text == "." or self.names_here.get(toks[j].text) == full):
                j += 1
            if j < len(toks) and toks[j].low in {",", "and", "et", "und", "y"}:
                j += 1
                if j < len(toks) and toks[j].low in {"and", "et", "und", "y"}:
                    j += 1
                continue
            break
        return out

    def _appears(self, idx: int, toks: list[Tok], i: int, members: list[int], subject_done: bool) -> None:
        """Cast member `idx` is in this event, mentioned at toks[i] (as its subject unless one came before)."""
        members.append(idx)
        self.cast[idx].mentions += 1
        if not subject_done:
            self.cast[idx].subject += 1
            self._doing(idx, toks, i)
        self._number_age(idx, toks, i)

    def _apposition(self, idx: int, toks: list[Tok], i: int, full: str) -> None:
        """What follows a name and describes it: "Biscuit, her dog," / "Marco, a chef," / "Arthur's a widower" /
        "her grandson Mateo, nine,"."""
        e = i
        while e + 1 < len(toks) and (toks[e + 1].text == "." or
                                     self.names_here.get(toks[e + 1].text) == full):
            e += 1
        self._number_age(idx, toks, e)
        if toks[e].poss and self.lang == "en" and e + 2 < len(toks) and toks[e + 1].low in INDEF:
            k = e + 2  # "Arthur's a widower": 's is "is"; Arthur is the widower
            while k < len(toks) and k < e + 5 and toks[k].cat is None and toks[k].text[0].isalpha():
                k += 1
            if k < len(toks) and (toks[k].cat or "").startswith("p") and toks[k].low == toks[k].lem:
                self.cast[idx].role = self.cast[idx].role or toks[k].lem
                self._describe(idx, toks, e + 1, k)
                self.skip.add(k)
        if e + 3 < len(toks) and toks[e + 1].text == "," and toks[e + 2].low in DETS | INDEF:
            k = e + 2
            while k < len(toks) and k < e + 6 and toks[k].text[0].isalpha() and (
                    toks[k].cat is None or (toks[k].cat or "x")[0] in "ol" and k + 1 < len(toks) and
                    (toks[k + 1].cat or "").startswith(("p", "a"))):
                k += 1  # "a retired electrician", "the lab mouse": up to the noun
            if k < len(toks) and (toks[k].cat or "").startswith(("p", "a")) and \
                    toks[k].low == toks[k].lem:
                cat = toks[k].cat or ""
                if not self.cast[idx].role:
                    self.cast[idx].role = toks[k].lem
                    self._set_gender(idx, toks[k].low, toks[e + 2].low)
                if cat.startswith("a:") and self.cast[idx].kind == "person":
                    self.cast[idx].kind = cat[2:]
                elif cat.startswith("p:"):
                    self.cast[idx].age = cat[2:]
                self._describe(idx, toks, e + 2, k)
                self.skip.add(k)  # the apposition is the same one: never a second member

    def _mention_role(self, toks: list[Tok], i: int, sent_no: int) -> list[int]:
        """A person/animal noun at toks[i]; returns the cast indices it names (may create members)."""
        t = toks[i]
        cat = t.cat or ""
        kind = cat.split(":", 1)[1] if cat.startswith("a:") else "person"
        age = cat.split(":", 1)[1] if cat.startswith("p:") else "adult"
        role = t.lem if self.lang == "en" else t.low
        # the determiner / numeral / adjectives before the noun
        lo = i
        while lo > 0 and toks[lo - 1].text[0].isalpha() and not (toks[lo - 1].cat or "").startswith(("p", "a", "g")) \
                and toks[lo - 1].low not in STOP.get(self.lang, set()) and toks[lo - 1].text not in self.names_here \
                and not toks[lo - 1].poss and i - lo < 4:
            lo -= 1  # adjectives and noun modifiers ("old", "half-grown", "lighthouse"), up to the determiner
        while lo > 0 and toks[lo - 1].low in DETS | set(NUMBERS) | set(lexicon.hand()["colours"]) and i - lo < 5:
            lo -= 1
        det = next((x.low for x in toks[lo:i] if x.low in DETS | INDEF), "")
        count = next((NUMBERS[x.low] for x in toks[lo:i] if x.low in NUMBERS), 0)
        plural = t.low != t.lem and t.low.endswith("s") and self.lang == "en"
        if self.lang == "en" and not plural and not det and not count and not (lo > 0 and toks[lo - 1].poss) and \
                not (t.text[:1].isupper() and (t.low in FEMALE | MALE or i > 0)) and \
                not (i + 1 < len(toks) and self.names_here.get(toks[i + 1].text)):
            return []  # a singular English noun needs a determiner: "have", "master" alone are no one
        if self._absent(toks, i, lo):
            return []
        if count > 6:
            self.crowd_here = True
            return []
        if i > 0 and toks[i - 1].text.isdigit():
            return []  # "a 1972 Beetle": a model, not a creature
        named_cast = any(m.named for m in self.cast) or any(v for v in self.names_here.values())
        if plural and kind != "person" and not count and named_cast and i > 0 and (
                toks[i - 1].poss or toks[i - 1].low in DETS) and (
                toks[i - 1].low != "the" or i > 1 and toks[i - 2].text[:1].isalpha() and toks[i - 2].low not in
                {"and", "but", "then", "while", "when", "as"}):
            return []  # "feeds the pigeons", "eaten the castle's rats": animals the named cast deals with
        if kind != "person" and not t.text[:1].isupper() and any(
                x.low in PLACE_PREPS | LANDMARK_PREPS for x in toks[max(0, lo - 1):lo]):
            return []  # "they wait under the blue whale": a landmark, not a character
        if (plural or count >= 2) and i + 2 < len(toks) and toks[i + 1].text in {",", "—", "–", ":"}:
            # "two foxes, a vixen and her cub": the group is the members named right after it
            stop = next((k for k in range(i + 2, len(toks)) if toks[k].text in {".", ";", "!", "?"}), len(toks))
            parts = [k for k in range(i + 2, min(stop, i + 14))
                     if (toks[k].cat or "").startswith(("p", "a")) and toks[k].low == toks[k].lem]
            if len(parts) >= max(2, count):
                for k in parts:  # "cub", "foal": young of the group's kind
                    if kind != "person" and toks[k].cat == "a:creature":
                        toks[k].cat = f"a:{kind}"
                return []
        if plural or count >= 2:
            listed = self._names_after(toks, i + 1)
            if len(listed) >= 2:
                for k in listed:
                    if not self.cast[k].role:
                        self.cast[k].role = t.lem if self.lang == "en" else t.low
                    if kind != "person" and self.cast[k].kind == "person":
                        self.cast[k].kind = kind
                return listed
        # apposition: "her dog Biscuit", "a fox named Rusty", "Chef Marco"
        j = i + 1
        if det and j < len(toks) and toks[j].low in {"du", "de", "des", "of", "del", "vom", "von"}:
            k = j + 1  # "le chat du quartier, Minou": the role's own complement, then the name
            while k < len(toks) and k < j + 4 and toks[k].text[:1].isalpha() and toks[k].text not in self.names_here:
                k += 1
            if k + 1 < len(toks) and toks[k].text == ",":
                j = k
        if j + 2 < len(toks) and toks[j].text == "," and toks[j + 1].low in TITLE_WORDS and toks[j + 1].text.islower() \
                and toks[j + 2].text in self.names_here:
            j += 1  # "son voisin, monsieur Girard": a lower-case title before the name
        if j + 1 < len(toks) and toks[j].text in {",", "monsieur"} | TITLE_WORDS and det and \
                toks[j + 1].text in self.names_here and (
                j + 2 >= len(toks) or toks[j + 2].text in {",", ".", "—", ";"} or self.names_here.get(
                toks[j + 2].text) == self.names_here[toks[j + 1].text]):
            j += 1  # "her cat, Biscuit,", "the conductor, Mr. Varga,": the role of the name after the comma
        elif j < len(toks) and toks[j].text == "," and det:
            # "her neighbour, a retired nurse named Odile": the name at the end of the apposition
            k = j + 1
            while k < len(toks) and k < j + 7 and toks[k].text[:1].isalpha() and toks[k].low not in NAMING:
                k += 1
            if k + 1 < len(toks) and toks[k].low in NAMING and toks[j + 1].low in DETS | INDEF and \
                    self.names_here.get(toks[k + 1].text):
                idx = self._find_name(self.names_here[toks[k + 1].text] or "")
                if idx is not None:
                    self._set_gender(idx, t.low, det)
                    return [idx]
        if j < len(toks) and toks[j].low in NAMING:
            j += 1
        elif j + 2 < len(toks) and toks[j].low in {"they", "we", "everyone", "people", "locals", "kids"} and \
                toks[j + 1].low in {"call", "calls", "nickname", "nicknamed"} and toks[j + 2].text in self.names_here:
            j += 2  # "the seagull they call Admiral": a name given by others
        if j < len(toks) and toks[j].text in self.names_here:
            given = self.names_here[toks[j].text]
            idx = self._find_name(given) if given else None
            if idx is not None:
                m = self.cast[idx]
                if not m.role:
                    m.role = role
                if m.kind == "person" and kind != "person":
                    m.kind = kind
                if m.age == "adult" and age != "adult":
                    m.age = age
                self._set_gender(idx, t.low, det)
                self._describe(idx, toks, lo, i)
                self.skip.add(j)
                self._apposition(idx, toks, j, self.names_here[toks[j].text] or "")
                return [idx]
        if count >= 2 or (plural and kind != "person" and det not in {"the"}):
            n = min(count or 2, 6)
            made = []
            existing = [k for k, m in enumerate(self.cast) if m.role == role and not m.named]
            if len(existing) >= n and det in {"the", "both", ""} | {"les", "die", "los", "las"}:
                return existing[:n]
            for _ in range(n):
                k = self._add(Member(name=role.capitalize(), role=role, kind=kind, age=age, first=sent_no))
                made.append(k)
                self._describe(k, toks, lo, i)
            return made
        if plural and kind == "person":
            self.crowd_here = True
            return []
        if det not in INDEF:
            same = [k for k, m in enumerate(self.cast) if m.role == role]
            if same:
                return [same[-1]]
        elif det in INDEF:
            same = [k for k, m in enumerate(self.cast) if m.role == role and m.first == sent_no]
            if same:
                return [same[-1]]
        k = self._add(Member(name=role.capitalize(), role=role, kind=kind, age=age, first=sent_no))
        self._set_gender(k, t.low, det)
        self._describe(k, toks, lo, i)
        return [k]

    def _names_in(self, toks: list[Tok]) -> dict[str, str | None]:
        """Name tokens of a sentence -> full name (None for words that are names of places)."""
        found: dict[str, str | None] = {}
        i = 0
        while i < len(toks):
            t = toks[i]
            prev = toks[i - 1] if i else None
            if t.low in HONORIFICS and t.text[0].isupper() and i + 1 < len(toks):
                k = i + 1
                if toks[k].text == ".":
                    k += 1
                if k < len(toks) and toks[k].text[:1].isupper() and toks[k].text[0].isalpha() and \
                        toks[k].low not in STOP.get(self.lang, set()):
                    ends = k
                    while ends + 1 < len(toks) and toks[ends + 1].text[:1].isupper() and \
                            _is_name_token(toks[ends + 1], toks[ends], self.lang, False):
                        ends += 1
                    surname = " ".join(x.text for x in toks[k:ends + 1])
                    if t.cat and t.cat.startswith(("p", "a")) and t.low not in {"mr", "mrs", "ms", "miss", "dr"}:
                        # "Chef Marco": a role word before a name is the role, not part of the name
                        found[toks[k].text] = surname
                        self.title_roles[surname] = t.low
                    else:
                        title = t.text + ("." if k == i + 2 else "")
                        full = f"{title} {surname}"
                        for x in toks[k:ends + 1]:
                            found[x.text] = full
                        found[t.text] = full
                        self.title_at.add(i)
                    i = ends + 1
                    continue
            if t.text[:1].isupper() and t.text[0].isalpha() and i > 0 and t.low not in CALENDAR | HONORIFICS and (
                    (prev is not None and prev.low in STREET_WORDS and prev.text[:1].isupper()) or (
                    self.lang == "en" and prev is not None and prev.low in EN_DETS)) or (
                    t.low in {"st", "ste", "saint", "san", "santa", "sankt"} and i + 2 < len(toks) and
                    toks[i + 1 + (toks[i + 1].text == ".")].text[:1].isupper()):
                # "Rue Colbert", "the Rusty Anchor", "St. Mary's": names of places and things
                k = i + 1
                while k < len(toks) and (toks[k].text[:1].isupper() or toks[k].text == ".") and \
                        toks[k].low not in HONORIFICS:
                    k += 1
                for x in toks[i:k]:
                    if x.text != ".":
                        found[x.text] = None
                i = k
                continue
            start = i == 0 or (prev is not None and prev.text in '."“')
            n1 = toks[i + 1] if i + 1 < len(toks) else None
            n2 = toks[i + 2] if i + 2 < len(toks) else None
            if self.lang == "en" and start and t.text[:1].isupper() and t.text.isalpha() and n1 is not None and \
                    t.low in lexicon.given_names() and t.low not in STOP["en"] | CALENDAR and (
                    n1.low in {"and", ","} or n1.poss or (n1.text.islower() and n1.low != n1.lem and
                                                         n1.low.endswith("s") and n1.cat is None)):
                found[t.text] = t.text  # "Jack and his niece", "Rose pours the tea": a first name opens the sentence
                i += 1
                continue
            if self.lang == "en" and start and t.text[:1].isupper() and t.text.isalpha() and n1 and n2 and \
                    t.low not in STOP["en"] | PLACE_PREPS | CALENDAR and not t.low.endswith("ly") and \
                    t.text not in lexicon.geo_names() and ((t.cat or "p")[0] == "p" or n2.low == "who") and (
                    (n1.text == "," and (n2.low == "who" or n2.low in NUMBER_WORDS or (n2.low in DETS | INDEF and any(
                        (x.cat or "").startswith(("p", "a")) for x in toks[i + 3:i + 6])))) or
                    (n1.low in {"and", "or"} and n2.text[:1].isupper() and n2.low not in STOP["en"]) or
                    # "Maya sits ...": a person noun alone, no article, before a verb is used as a name
                    ((t.cat or "").startswith("p") and t.low == t.lem and t.low not in INDEF_PERSONS | FEMALE | MALE
                     and n1.text.islower() and n1.low != n1.lem and n1.low.endswith("s") and n1.cat is None)):
                found[t.text] = t.text  # "Ben, who is six", "Gus, the lifeguard", "Ruth and Idris": a name
                i += 1
                continue
            if self.lang == "en" and prev is not None and prev.lem in NAMED_THINGS and t.text[:1].isupper() and \
                    not (t.low in lexicon.given_names() and n1_is_verb(toks, i)):
                found[t.text] = None  # "the starship Halcyon", "the ferry Marguerite": a craft's name, no one
                i += 1
                continue
            if _is_name_token(t, prev, self.lang, start):
                k = i
                while k + 1 < len(toks) and toks[k + 1].text[:1].isupper() and \
                        _is_name_token(toks[k + 1], toks[k], self.lang, False):
                    k += 1
                nxt = toks[k + 1] if k + 1 < len(toks) else None
                full = " ".join(x.text for x in toks[i:k + 1])
                if nxt and nxt.low in STREET_WORDS and nxt.text[0].isupper():
                    found[t.text] = None
                    i = k + 2
                    continue
                for x in toks[i:k + 1]:
                    found[x.text] = full
                i = k + 1
                continue
            i += 1
        return found

    # -- events ----------------------------------------------------------------------------------------------
    def read(self) -> Story:
        """Read the prompt into a Story: names first, then each clause's event; resets LOWER_SEEN for this prompt."""
        sents = _sentences(self.text)
        LOWER_SEEN.clear()
        LOWER_SEEN.update(re.findall(r"\b[a-zà-ÿ][\w'-]*", self.text))
        lang = self.lang
        toks_by_sent = [(p, off, s, _tokens(s, off, lang)) for p, off, s in sents[:600]]
        # pass 1: names, and how they are used (a place name is only ever after a place preposition)
        self.title_roles: dict[str, str] = {}
        self.title_at: set[int] = set()
        all_names: dict[str, list[tuple[int, int]]] = {}
        name_maps = []
        for si, (_, _, _, toks) in enumerate(toks_by_sent):
            self.title_at = set()
            found = self._names_in(toks)
            name_maps.append(found)
            for ti, t in enumerate(toks):
                name = found.get(t.text)
                if name:
                    all_names.setdefault(name, []).append((si, ti))
        place_only = set()
        for full, occ in all_names.items():
            preps = [toks_by_sent[si][3][ti - 1].low if ti else "" for si, ti in occ]
            first_tok = [toks_by_sent[si][3][ti].text for si, ti in occ]
            if all(p in PLACE_PREPS for p in preps) and not any(f.startswith(full.split()[0]) and full in
                                                                 self.title_roles for f in first_tok):
                place_only.add(full)
        # merge short forms into long names ("Mei-Lin" -> "Mei-Lin Chen", "Hale" -> "Mr. Hale")
        canon: dict[str, str] = {}
        fulls = sorted(all_names, key=lambda n: -len(n.split()))
        for full in fulls:
            parts = full.replace(".", "").split()
            target = full
            for other in fulls:
                if other != full and len(other.split()) > len(parts) and set(parts) <= set(
                        other.replace(".", "").split()):
                    target = canon.get(other, other)
                    break
            canon[full] = target
        events: list[Event] = []
        place: str | None = None
        place_words = ""
        all_lemmas: list[str] = []
        tod: TimeOfDay | None = None
        weather: Weather | None = None
        season: Season | None = None
        for si, (para, _off, sent, toks) in enumerate(toks_by_sent):
            found = name_maps[si]
            self.names_here = {k: (canon.get(v, v) if v else None) for k, v in found.items()
                               if v is None or v not in place_only}
            # make named members first so appositions attach
            for t in toks:
                named = self.names_here.get(t.text)
                if named and self._find_name(named) is None:
                    role = self.title_roles.get(named, "")
                    k = self._add(Member(name=named, role=role, named=True, first=si))
                    for part in named.replace(".", " ").split():
                        if part.lower() not in HONORIFICS and len(part) > 1:
                            self.cast[k].aliases.add(part.lower())
                    for short, tgt in canon.items():
                        if tgt == named:
                            self.cast[k].aliases.add(short.lower())
                    self._set_gender(k, named.split()[0])
                    if role:
                        self._set_gender(k, role)
                    if not self.cast[k].gender:  # "Lena", "Abel": the census lists' sex of the first name
                        first = next((p for p in named.replace(".", " ").split() if p.lower() not in HONORIFICS), "")
                        self.cast[k].gender = lexicon.given_genders().get(first.lower(), "")
                        cat = lexicon.category(role, lang) or ""
                        if cat.startswith("a:"):
                            self.cast[k].kind = cat[2:]
                        elif cat.startswith("p:"):
                            self.cast[k].age = cat[2:]
            self.quotes_here = [(_off + a, _off + b, words) for a, b, words in quote_spans(sent)]
            for clause in self._clauses(sent, toks):
                ev = self._event(clause, si, para)
                if ev.place and ev.place != place and (place is None or ev.place_prep) and not (
                        place is not None and ev.place_words.lower() in SAME_ROOM
                        and not INTO_ROOM.search(ev.text)):  # "music fills the room": the room it is in
                    ev.new_place = True
                    place, place_words = ev.place, ev.place_words
                else:
                    ev.place, ev.place_words = place, ev.place_words or place_words
                tod = ev.time_of_day or tod
                weather = ev.weather or weather
                season = ev.season or season
                ev.time_of_day, ev.weather, ev.season = tod, weather, season
                all_lemmas.extend(ev.lemmas)
                if len(ev.lemmas) >= 1:
                    events.append(ev)
        # a story that never names its place still says where it is: "Chef Rocco", "the walk-in fridge" -> a kitchen
        if lang == "en" and not any(e.place for e in events):
            votes = Counter(c for lem in all_lemmas if len(lem) > 3 and lem.lower() not in STOP.get(lang, set()) and
                            (c := lexicon.place_cues().get(lem.lower())))
            votes.update(self.place_hints * 2)  # "the harbour master": the harbour is near
            if votes:
                cue = max(votes, key=lambda k: (votes[k], -list(votes).index(k)))
                for e in events:
                    e.place = cue
        # "at the old observatory": a building no place key covers is where the story is, said in its own words
        where = next((e.building for e in events if e.building), "")
        if where and not any(e.place for e in events):
            for e in events:
                e.place_words = where
        # before the story names its first place, it is already there ("Opening night. The star ... at the theatre")
        first_place = next((e for e in events if e.place), None)
        if first_place is not None:
            for e in events:
                if e.place:
                    break
                e.place, e.place_words = first_place.place, first_place.place_words
        for m in self.cast:  # "his granddaughter Anna", no age given: a child
            if m.kind == "person" and m.age == "adult" and m.role in GRANDCHILDREN and not re.search(
                    rf"\b{re.escape(m.name)}\b[^.!?]{{0,60}}\b(?:man|woman|adult|grown|grown-up|married|twenty|thirty|"
                    r"forty|fifty|sixty|\d\d)\b", self.text, re.I):
                m.age = "child"
        first = sents[0][2] if sents else self.text[:200]
        return Story(lang, self.cast, events, first, all_lemmas)

    def _clauses(self, sent: str, toks: list[Tok]) -> list[list[Tok]]:
        if len(toks) < 6:
            return [toks]
        base = toks[0].start
        cuts = [m.start() + base for m in SPLITS.finditer(sent)]
        # ", trains for the marathon": a comma before a verb in -s starts a new action
        for k in range(len(toks) - 2):
            a, b, c = toks[k], toks[k + 1], toks[k + 2]
            if a.text == "," and b.text.islower() and b.low != b.lem and b.low.endswith("s") and \
                    c.low in DETS | PLACE_PREPS | {"for", "to", "with", "on", "up", "down"}:
                cuts.append(a.start)
        cuts = sorted(c for c in cuts if not any(a < c < b for a, b, _ in self.quotes_here))
        groups: list[list[Tok]] = [[]]
        ci = 0
        for t in toks:
            while ci < len(cuts) and t.start > cuts[ci]:
                ci += 1
                groups.append([])
            groups[-1].append(t)
        out: list[list[Tok]] = []
        for g in groups:
            words = [t for t in g if t.text[0].isalnum()]
            if out and len(words) < 3:
                out[-1].extend(g)
            else:
                out.append(g)
        if len(out) > 1 and len([t for t in out[0] if t.text[0].isalnum()]) < 3:
            out[1] = out[0] + out[1]
            out.pop(0)
        return out

    def _event(self, toks: list[Tok], si: int, para: int) -> Event:
        lang = self.lang
        members: list[int] = []
        self.skip: set[int] = set()
        self.crowd_here = False
        place = None
        place_words = ""
        place_prep = place_after_prep = False
        building = ""
        objects: list[str] = []
        subject_done = False
        poss_owners: list[int] = []
        self.members_now = members
        quotes = [q for q in self.quotes_here if toks and q[0] < toks[-1].end and q[1] > toks[0].start]
        self.skip = {i for i, t in enumerate(toks) if any(a < t.start < b - 1 for a, b, _ in quotes)}
        for i, t in enumerate(toks):
            if i in self.skip or not t.text[0].isalpha():
                continue
            prev = toks[i - 1] if i else None
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if t.low in CROWD_WORDS or (t.low in {"whole", "entire"} and nxt is not None
                                        and (nxt.cat or "").startswith(("l:", "g"))):
                self.crowd_here = True  # "everyone", "the whole village gathers": its people, a crowd
            if lang == "en" and t.cat and t.low != t.lem and t.low.endswith("s") and t.text.islower() and \
                    (prev is None or (prev.low not in DETS | set(NUMBERS) | PLACE_PREPS | {"of", "and", "or"}
                                      and prev.cat is None and not prev.low.endswith(("y", "ful", "ed")))) and \
                    nxt is not None and nxt.low in DETS | PLACE_PREPS | {"for", "to", "with", "on", "up", "down"}:
                continue  # "trains for", "searches the": an -s verb, not a plural noun
            full = self.names_here.get(t.text)
            if full:
                idx = self._find_name(full)
                if idx is not None and idx not in members and self._absent(toks, i, i):
                    subject_done = True
                    continue
                if idx is not None and idx not in members:
                    self._appears(idx, toks, i, members, subject_done)
                    lo = i
                    while lo > 0 and (toks[lo - 1].low in AGE_WORDS or toks[lo - 1].low in BUILD_WORDS or
                                      toks[lo - 1].low in lexicon.hand()["colours"]) and i - lo < 3:
                        lo -= 1
                    if lo < i:
                        self._describe(idx, toks, lo, i)
                    self._apposition(idx, toks, i, full)
                    self._describe(idx, toks, i, i)
                subject_done = True
                continue
            if full is None and t.text in self.names_here:
                continue
            cat = t.cat or ""
            if cat.startswith(("p", "a")) and len(self.cast) < 12:
                if prev and lang == "en" and (prev.low in SUBJ_BLOCK or prev.text in self.names_here or (
                        prev.cat or "").startswith(("p", "a"))) and prev.low not in DETS and \
                        (t.low != t.lem or prev.low in {"to", "will", "can", "must", "would", "could"}):
                    continue  # "she trains", "Marco teaches", "to cook": a verb
                if lang == "en" and t.poss and not (nxt and nxt.low in DETS | INDEF):
                    continue  # "a farmer's dog", "the librarian's torch": an owner, not someone in the scene
                if lang == "en" and nxt is not None and nxt.text.islower() and nxt.low == nxt.lem and (
                        nxt.low in lexicon.only_nouns() or (nxt.cat or "").startswith(("a:", "o", "l:"))) and \
                        t.low == t.lem and not (i + 2 < len(toks) and toks[i + 2].low in DETS | INDEF):
                    continue  # "the dinosaur skeleton", "the fish shop", "a guard dog": a modifier of the noun after
                for idx in self._mention_role(toks, i, si):
                    if idx not in members:
                        self._appears(idx, toks, i, members, subject_done)
                subject_done = True
                continue
            if cat == "g":
                self.crowd_here = True
                continue
            if cat.startswith("l:") and t.low != t.lem and lang == "en" and \
                    lexicon.extract()["nouns"].get(t.lem, "").startswith("p"):
                self.crowd_here = True  # "diners": people, though "a diner" is a place
                continue
            if cat.startswith("l:"):
                if lang == "en" and t.low != t.lem and t.low.endswith("ed"):
                    continue  # "has farmed the valley", "docked": a verb, not a place
                if prev and lang == "en" and (prev.low in SUBJ_BLOCK or prev.text in self.names_here or (
                        prev.cat or "").startswith(("p", "a"))) and t.low != t.lem and not t.low.endswith("ies"):
                    continue  # "she trains", "Marco searches": verbs
                if any(x.low in {"about", "of"} and k > 0 and (toks[k - 1].lem in ABSENT_NOUNS or x.low == "about")
                       for k, x in enumerate(toks[:i]) if k >= i - 4):
                    continue  # "a story about a lighthouse", "a photo of the sea": not where the scene is
                prep = next((x.low for x in reversed(toks[max(0, i - 4):i]) if x.low in PLACE_PREPS | {"for"}), "")
                if prep in {"from", "desde", "aus", "for"}:
                    continue  # "ice from the fish shop", "a birdhouse for the garden": not where the scene is
                if lang == "en" and nxt is not None and nxt.text.islower() and (nxt.cat or "").startswith(("p", "o")) \
                        and t.low == t.lem:
                    self.place_hints.append(cat[2:])
                    continue  # "the harbour master", "the station clock": a noun's modifier, not the scene
                if t.lem == "bay" and prev is not None and prev.low in ROOM_BAYS:
                    continue  # "the cargo bay", "the sick bay": a room of a ship or a building, not the sea
                if (t.lem in WEAK_PLACES or cat == "l:sea" and t.lem not in {"sea", "ocean"}) and not prep:
                    continue  # "taken the boat out", "the ice": a thing in the story, a place only with "on"/"in"
                has_prep = any(x.low in PLACE_PREPS for x in toks[max(0, i - 4):i])
                if place is None or (place == "city_street" and cat[2:] != "city_street") or (
                        has_prep and not place_after_prep):
                    place_after_prep = has_prep  # "woodworking in the garage": the garage, said with "in"
                    place = cat[2:]
                    place_prep = has_prep
                    lo = i
                    while lo > 0 and toks[lo - 1].text[0].isalpha() and (toks[lo - 1].cat is None or (
                            toks[lo - 1].cat or "").startswith("l:")) and toks[lo - 1].low not in SUBJ_BLOCK and \
                            toks[lo - 1].low not in PLACE_PREPS and i - lo < 4:
                        lo -= 1
                        if toks[lo].low in DETS:
                            break
                    hi = i
                    while hi + 1 < len(toks) and (toks[hi + 1].cat or "").startswith("l:") and hi - i < 2:
                        hi += 1
                    if hi > i:
                        place = (toks[hi].cat or "l:" + place)[2:]
                    place_words = " ".join(x.text for x in toks[lo:hi + 1])
                    # "The water is low", "the last of the water": a thing in the scene, not a new scene
                    at_start = all(not x.text[0].isalpha() or x.low in DETS for x in toks[:lo])
                    place_prep = has_prep or not (at_start or (lo > 0 and toks[lo - 1].low in {"of", "de", "von"}))
                continue
            if not building and t.lem in lexicon.buildings() and t.text.islower():
                lo = i
                while lo > 0 and i - lo < 3 and toks[lo - 1].text[:1].isalpha() and toks[lo - 1].low not in PLACE_PREPS:
                    lo -= 1
                if lo > 0 and toks[lo - 1].low in {"at", "in", "inside", "into", "outside"} and toks[lo].low in DETS:
                    building = " ".join(x.text for x in toks[lo:i + 1])
            if cat == "o" and len(objects) < 3 and t.low == t.lem and (prev is None or prev.low in DETS) and \
                    t.lem not in WEAR and t.lem not in FEATURES:
                objects.append(t.text)
            if lang in PRONOUNS and (t.low in PRONOUNS[lang] or t.low in OBJECT_PRON or t.low in TOGETHER) and \
                    (self.recent or members):
                self._pronoun(t, nxt, i, toks, members, poss_owners)
                subject_done = True
        count = group_count(" ".join(t.low for t in toks), self.lang)
        if count and len(members) < count:  # "los dos ven delfines", "tous les trois", "die beiden": that many
            members.extend([k for k in dict.fromkeys([*self.last, *reversed(self.recent)])
                            if k not in members][:count - len(members)])
        if not members and poss_owners:
            members = list(dict.fromkeys(poss_owners))  # "her hands shake": the owner is the one in the shot
        thing_subject = any(t.low in {"it", "this", "that"} for t in toks[:3] if t.text[:1].isalpha())
        if not members and self.last and toks and toks[0].text[:1].islower() and not thing_subject:
            members = [self.last[0]]  # ", trains for the marathon": the same subject goes on ("and it drifts": not)
        said = []
        for a, b, words in quotes:
            who = self._speaker(toks, a, b, members)
            if who is not None:
                said.append((who, words))
                if who not in members:
                    members.append(who)
        if members:
            self.last = members[:]
            for idx in members:
                self._seen(idx)
        lems = [t.lem for t in toks if t.text[0].isalpha()]
        lemset = set(lems)
        low_words = {t.low for t in toks}
        text = " ".join(t.text for t in toks)
        text = re.sub(r"\s+([,.;:!?)”»])", r"\1", text)
        text = re.sub(r"([(“«„])\s+", r"\1", text).strip(" ,;:—–")
        text = re.sub(r'"\s*([^"]*?)\s*"', r'"\1"', text)  # '" Run! "' -> '"Run!"'
        ev = Event(text=text, members=members, place=place, place_words=place_words, new_place=False,
                   place_prep=place_prep, building=building,
                   paragraph=para, lemmas=lems, crowd=self.crowd_here, objects=objects, said=said)
        ev.time_of_day = next((TIME_WORDS[w] for w in low_words if w in TIME_WORDS), None) or next(
            (hour for pattern, hour in SUN_HOURS if pattern.search(text)), None)
        ev.weather = next((WEATHER_WORDS[t.lem] for k, t in enumerate(toks)
                           if t.lem in WEATHER_WORDS and not self._weather_verb(toks, k)), None)
        for i, t in enumerate(toks):
            if t.low in SEASON_WORDS and (t.low != "fall" or (i and toks[i - 1].low in {"the", "in", "of"})) and \
                    (t.low != "spring" or (i and toks[i - 1].low in DETS | {"in", "of", "early", "late"})):
                ev.season = SEASON_WORDS[t.low]
        ev.emotion = bool(lemset & EMOTION)
        ev.meet = bool(lemset & MEET) and len(members) >= 2
        ev.look = bool(lemset & LOOK)
        ev.travel = bool(lemset & TRAVEL)
        ev.rise = bool(lemset & RISE)
        ev.fall = bool(lemset & FALL)
        ev.passing = bool(PASSING.search(text))
        ev.goes_on = bool(CONTINUE.search(text))
        return ev

    def _who(self, t: Tok, members: list[int]) -> int | None:
        """The cast member a word names: a name, a role ("the girl"), or a he/she pronoun of this event or before."""
        full = self.names_here.get(t.text)
        if full:
            return self._find_name(full)
        gender = "f" if t.low in FEMALE_PRON else "m" if t.low in MALE_PRON else ""
        if gender and t.low not in POSSESSIVE_PRON | OBJECT_PRON | PLURAL_PRONOUNS:
            here = [k for k in members if self.cast[k].gender == gender]
            return here[0] if here else self._resolve(gender, set())
        if (t.cat or "").startswith(("p", "a")):
            roles = [k for k in [*members, *reversed(self.recent)]
                     if (self.cast[k].role or self.cast[k].name).lower().split()[-1:] in ([t.low], [t.lem])]
            return roles[0] if roles else None
        return None

    def _speaker(self, toks: list[Tok], start: int, end: int, members: list[int]) -> int | None:
        """Who says the quote at [start, end): '"Run!" says Mara', '"Run!" Mara says', 'Mara says, "Run!"',
        'Mara asks Tom: "…"', 'she whispers "…"' (a pronoun resolved as the story goes), '« … » dit-il',
        '« … », répond monsieur Berthier', 'Lina ties on her apron and asks, "…"' and 'Tomas points at the sea:
        "…"' (the subject of the clause that says or introduces it)."""
        after = [t for t in toks if t.start >= end and t.text[0].isalpha()][:5]
        before = [t for t in toks if t.end <= start and t.text[0].isalpha()][-6:]
        inside = [t for t in toks if start <= t.start < end and t.text not in {'"', "“", "”", "«", "»", "„"}]
        if inside and inside[-1].text in {".", "!", "?", "…"} and any(_speech(t) for t in before[1:]):
            after = []  # 'Gus wades in, grumbling, "…!" Priya laughs': said by the clause before; a new one after
        nouns = [t for t in after if t.low not in DETS]
        if nouns and _speech(nouns[0]):  # "says Mara", "said the girl", "répond monsieur Berthier", "dit-il"
            who = self._inverted(nouns[0], members)
            for t in nouns[1:4]:
                if who is not None:
                    break
                if t.low not in HONORIFICS:
                    who = self._who(t, members)
                    if who is None:
                        break
            if who is not None:
                return who
        for k, t in enumerate(nouns[:3]):  # "Mara says", "the old man whispers"
            if k + 1 < len(nouns) and _speech(nouns[k + 1]):
                who = self._who(t, members)
                if who is not None:
                    return who
        for k in range(len(before) - 1, 0, -1):  # "Mara says,", "she whispers", "Mara asks Tom:"
            if _speech(before[k]):
                j = k - 1
                while j > 0 and before[j].low.endswith("ly"):
                    j -= 1  # "Mara softly says"
                who = self._who(before[j], members)
                if who is not None:
                    return who
                break  # "Lina ties on her apron and asks,": the clause's subject says it
        lead = [t for t in toks if t.end <= start]
        said_by_clause = bool(lead) and (lead[-1].text in {":", "—", "–"} or any(_speech(t) for t in before))
        if said_by_clause:  # 'Tomas points at the horizon: "…"', 'Juliette rougit et demande : « … »'
            clause = lead[:-1] if lead[-1].text in {":", "—", "–", ","} else lead
            for k in range(len(clause) - 1, -1, -1):
                if clause[k].text in {".", "!", "?", ";", ":", '"', "“", "”", "»", "«"}:
                    clause = clause[k + 1:]
                    break
            for t in [t for t in clause if t.text[0].isalpha() and t.low not in DETS | HONORIFICS][:2]:
                who = self._who(t, members)
                if who is not None:
                    return who
        return None

    def _inverted(self, verb: Tok, members: list[int]) -> int | None:
        """The pronoun of an inverted speech verb ("dit-il", "demanda-t-elle"), resolved; None for any other word."""
        last = verb.low.rsplit("-", 1)[-1] if "-" in verb.low else ""
        gender = "f" if last in FEMALE_PRON else "m" if last in MALE_PRON else ""
        if not gender:
            return None
        here = [k for k in members if self.cast[k].gender == gender]
        return here[0] if here else self._resolve(gender, set())


def _speech(t: Tok) -> bool:
    """Whether a word says that someone speaks ("says", "asks", "dit-il")."""
    if t.low in SPEECH or t.lem in SPEECH or t.low.split("-", 1)[0] in SPEECH:
        return True
    stem = t.low[:-3] if t.low.endswith("ing") and len(t.low) > 5 else ""  # "grumbling", "snapping", "saying"
    return bool(stem) and (stem in SPEECH or stem + "e" in SPEECH or (len(stem) > 2 and stem[-1] == stem[-2]
                                                                      and stem[:-1] in SPEECH))


def read_story(text: str) -> Story:
    """Read a prompt into its language, cast and events."""
    return Reader(text).read()
