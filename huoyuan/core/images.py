"""Uploaded images are checked by content and re-encoded before anything stores them.

Re-encoding drops whatever rides along (HTML in a JPEG polyglot, EXIF with GPS), the pixel cap
stops decompression bombs before decoding, and the stored name is random, never the client's.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from huoyuan.core.errors import ValidationFailed

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 10_000
THUMBNAIL_SIDE = 480


@dataclass(frozen=True)
class CleanImage:
    image: ContentFile[bytes]
    thumbnail: ContentFile[bytes]
    width: int
    height: int


def _reject(message: str, field: str) -> ValidationFailed:
    error = ValidationFailed(message, field=field)
    error.code = "image_rejected"
    return error


def clean_image(upload: UploadedFile[bytes], *, field: str = "image") -> CleanImage:
    if upload.size is None or upload.size > settings.MAX_IMAGE_BYTES:
        raise _reject(
            _("Images may be at most %(mb)s MB.") % {"mb": settings.MAX_IMAGE_BYTES // 2**20},
            field,
        )
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            width, height = probe.size
            if probe.format not in ACCEPTED_FORMATS:
                raise _reject(_("Upload a JPEG, PNG or WebP image."), field)
            if width > MAX_SIDE or height > MAX_SIDE or width * height > settings.MAX_IMAGE_PIXELS:
                raise _reject(
                    _("The image is too large: at most %(side)s pixels a side.")
                    % {"side": MAX_SIDE},
                    field,
                )
            probe.verify()
            opened = Image.open(io.BytesIO(data))
            opened.load()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own cap fires inside Image.open for the largest images: say "too large" there
        # too, not "unreadable", so the supplier knows to resize rather than re-export.
        raise _reject(
            _("The image is too large: at most %(side)s pixels a side.") % {"side": MAX_SIDE},
            field,
        ) from None
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise _reject(_("This file is not a readable JPEG, PNG or WebP image."), field) from None
    picture: Image.Image = ImageOps.exif_transpose(opened)
    has_alpha = picture.mode in ("RGBA", "LA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    name = uuid.uuid4().hex
    fmt, ext = ("PNG", "png") if has_alpha else ("JPEG", "jpg")

    def encode(img: Image.Image) -> bytes:
        out = io.BytesIO()
        if fmt == "JPEG":
            img.save(out, fmt, quality=85, optimize=True)
        else:
            img.save(out, fmt, optimize=True)
        return out.getvalue()

    thumb = picture.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return CleanImage(
        image=ContentFile(encode(picture), name=f"{name}.{ext}"),
        thumbnail=ContentFile(encode(thumb), name=f"{name}.{ext}"),
        width=picture.width,
        height=picture.height,
    )


def delete_files_on_commit(*files: FieldFile) -> None:
    """Remove stored files once the row that named them is gone for good (not on rollback)."""
    doomed = [(f.storage, f.name) for f in files if f and f.name]

    def remove() -> None:
        for storage, name in doomed:
            storage.delete(name)

    transaction.on_commit(remove)
