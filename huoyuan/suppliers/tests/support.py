"""Constants the supplier tests share."""

# What a supplier may change on its own profile (verification and ratings are not among them).
EDITABLE = (
    "business_type",
    "belt_id",
    "tagline",
    "description",
    "province",
    "city",
    "founded_year",
    "floor_area_m2",
    "staff_count",
    "monthly_capacity",
    "oem",
    "odm",
    "certifications",
    "patents_count",
    "verification_level",
    "verification_requested_at",
    "verified_at",
)
