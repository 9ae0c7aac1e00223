"""Word lists for the Maison Lysa demo data (fictional brand, fictional people)."""

from __future__ import annotations

CATEGORIES: dict[str, dict[str, object]] = {
    "skincare": {
        "kinds": ["Sérum", "Crème", "Gel", "Huile", "Masque", "Lotion", "Baume", "Essence"],
        "themes": ["Éclat", "Hydra", "Rosée", "Velours", "Pureté", "Lumière", "Nuit", "Aube"],
        "sizes": ["30 ml", "50 ml", "100 ml"],
        "price": (2400, 7400),
    },
    "makeup": {
        "kinds": ["Rouge", "Mascara", "Fond de teint", "Poudre", "Crayon", "Gloss", "Palette"],
        "themes": ["Soie", "Corail", "Nude", "Prune", "Satin", "Ivoire", "Cerise"],
        "sizes": ["", "10 ml", "4 g"],
        "price": (1400, 4200),
    },
    "fragrance": {
        "kinds": ["Eau de parfum", "Eau de toilette", "Brume"],
        "themes": ["Iris", "Néroli", "Figue", "Ambre", "Jasmin", "Vétiver", "Santal"],
        "sizes": ["50 ml", "100 ml"],
        "price": (4900, 12900),
    },
}

FIRST_NAMES = {
    "ES": ["Lucía", "María", "Paula", "Daniel", "Carmen", "Javier", "Sofía", "Alba", "Hugo", "Elena"],
    "CO": ["Valentina", "Camila", "Andrés", "Mariana", "Santiago", "Isabella", "Juliana", "Mateo", "Laura", "Diego"],
    "FR": ["Camille", "Léa", "Manon", "Chloé", "Louis", "Inès", "Jules", "Emma", "Lucas", "Zoé"],
    "US": ["Emily", "Olivia", "Ava", "Mia", "Noah", "Grace", "Chloe", "Ethan", "Harper", "Lily"],
}
LAST_NAMES = {
    "ES": ["García", "Martín", "López", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz"],
    "CO": ["Rodríguez", "Gómez", "Restrepo", "Ramírez", "Cárdenas", "Vargas", "Ospina", "Castro"],
    "FR": ["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Fournier"],
    "US": ["Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson", "Taylor", "Clark"],
}
LANGUAGE = {"ES": "es", "CO": "es", "FR": "fr", "US": "en"}
PHONE_PREFIX = {"ES": "+34 6", "CO": "+57 3", "FR": "+33 6", "US": "+1 555"}

REVIEW_TEXT: dict[str, dict[str, list[tuple[str, str]]]] = {
    "en": {
        "good": [
            ("Love it", "The texture is light and my skin feels soft all day."),
            ("Beautiful scent", "Lasts for hours and I always get compliments."),
            ("Great value", "Works as promised, I will buy it again."),
            ("My new favourite", "Gentle on sensitive skin, no irritation at all."),
        ],
        "mixed": [
            ("Nice but pricey", "Good results but the price is a bit high for the size."),
            ("Okay", "Packaging is lovely, the effect is subtle."),
        ],
        "bad": [
            ("Disappointed", "Arrived late and the pump was broken."),
            ("Irritated my skin", "I had redness after two days of use."),
            ("Out of stock again", "Waited weeks for a restock, very frustrating."),
            ("Does not last", "The scent fades after an hour."),
        ],
    },
    "es": {
        "good": [
            ("Me encanta", "La textura es ligera y la piel queda suave todo el día."),
            ("Aroma precioso", "Dura horas y siempre me preguntan qué llevo."),
            ("Muy buena relación calidad-precio", "Cumple lo que promete, repetiré."),
            ("Mi favorito", "Suave con la piel sensible, sin irritación."),
        ],
        "mixed": [
            ("Bien pero caro", "Buenos resultados, aunque el precio es algo alto."),
            ("Correcto", "El envase es bonito, el efecto es sutil."),
        ],
        "bad": [
            ("Decepcionada", "Llegó tarde y el dosificador estaba roto."),
            ("Me irritó la piel", "Tuve rojeces después de dos días."),
            ("Otra vez agotado", "Semanas esperando reposición, muy frustrante."),
            ("No dura", "El aroma desaparece en una hora."),
        ],
    },
    "fr": {
        "good": [
            ("J'adore", "La texture est légère et la peau reste douce toute la journée."),
            ("Parfum magnifique", "Tient des heures, on me complimente toujours."),
            ("Très bon rapport qualité-prix", "Efficace comme promis, je rachèterai."),
            ("Mon préféré", "Doux pour les peaux sensibles, aucune irritation."),
        ],
        "mixed": [
            ("Bien mais cher", "Bons résultats mais le prix est un peu élevé."),
            ("Correct", "Le flacon est joli, l'effet est discret."),
        ],
        "bad": [
            ("Déçue", "Livré en retard et la pompe était cassée."),
            ("Irritation", "Rougeurs après deux jours d'utilisation."),
            ("Encore en rupture", "Des semaines à attendre le réassort, très frustrant."),
            ("Ne tient pas", "Le parfum disparaît au bout d'une heure."),
        ],
    },
}

CLAIMS: list[tuple[str, str, str, bool]] = [
    ("CL-DERM", "Dermatologically tested", "safety", True),
    ("CL-VEGAN", "Vegan formula", "formula", True),
    ("CL-CRUELTY", "Cruelty-free: never tested on animals", "ethics", True),
    ("CL-MADEIN", "Made in France", "origin", True),
    ("CL-SHIP", "Free shipping on orders over 50 EUR", "offer", True),
    ("CL-RETURN", "30-day returns", "offer", True),
    ("CL-RECYCLE", "Recyclable glass bottle", "packaging", True),
    ("CL-FRAGFREE", "Fragrance-free", "formula", True),
    ("CL-HYDRA24", "Hydration for up to 24 hours (instrumental test, 20 women)", "efficacy", True),
    ("CL-SENSITIVE", "Suitable for sensitive skin", "safety", True),
    ("CL-WRINKLE", "Clinically proven to erase wrinkles", "efficacy", False),
    ("CL-CURE", "Cures acne in 3 days", "efficacy", False),
    ("CL-BEST", "The best serum in the world", "superlative", False),
]
