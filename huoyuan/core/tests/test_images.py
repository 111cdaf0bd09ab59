"""The hostile upload set: every image is checked by content, capped before decoding, re-encoded."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from huoyuan.catalogue.models import ProductImage
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.core.errors import ValidationFailed
from huoyuan.core.images import clean_image

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
RANDOM_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")


# --- hostile and friendly files ------------------------------------------------------------------


def jpeg_bytes(size=(1200, 900), colour=(200, 30, 40)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def png_rgba_bytes(size=(300, 200)):
    picture = Image.new("RGBA", size, (0, 128, 255, 255))
    picture.putpixel((0, 0), (0, 0, 0, 0))  # one transparent pixel is enough to need alpha
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def webp_bytes():
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(out, "WEBP")
    return out.getvalue()


def gif_bytes():
    out = io.BytesIO()
    Image.new("P", (32, 32), 1).save(out, "GIF")
    return out.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width, height, *, rows_of_zeros=0):
    """A 1-bit greyscale PNG that declares ``width`` x ``height``; costs a few KB at most.

    With ``rows_of_zeros`` the IDAT really holds that many compressed blank rows: a
    decompression bomb that inflates a thousandfold if anyone decodes it.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = zlib.compress(row * rows_of_zeros, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- core.images.clean_image ---------------------------------------------------------------------


def test_a_jpeg_is_re_encoded_under_a_random_name_with_a_thumbnail():
    cleaned = clean_image(upload(jpeg_bytes()))

    assert (cleaned.width, cleaned.height) == (1200, 900)
    assert RANDOM_NAME.match(cleaned.image.name)
    assert cleaned.image.name.endswith(".jpg")
    assert cleaned.thumbnail.name == cleaned.image.name
    full = Image.open(io.BytesIO(cleaned.image.read()))
    thumb = Image.open(io.BytesIO(cleaned.thumbnail.read()))
    assert (full.format, full.size, full.mode) == ("JPEG", (1200, 900), "RGB")
    assert (thumb.format, thumb.size) == ("JPEG", (480, 360))


def test_a_png_with_alpha_stays_a_png_and_keeps_its_transparency():
    cleaned = clean_image(upload(png_rgba_bytes(), name="logo.png", content_type="image/png"))

    assert cleaned.image.name.endswith(".png")
    full = Image.open(io.BytesIO(cleaned.image.read()))
    assert (full.format, full.mode, full.size) == ("PNG", "RGBA", (300, 200))
    assert full.getpixel((0, 0))[3] == 0
    assert full.getpixel((1, 1)) == (0, 128, 255, 255)
    thumb = Image.open(io.BytesIO(cleaned.thumbnail.read()))
    assert (thumb.format, thumb.size) == ("PNG", (300, 200))  # never enlarged


def test_a_webp_is_accepted_and_stored_as_jpeg():
    cleaned = clean_image(upload(webp_bytes(), name="x.webp", content_type="image/webp"))
    assert cleaned.image.name.endswith(".jpg")
    assert Image.open(io.BytesIO(cleaned.image.read())).format == "JPEG"


def test_two_uploads_of_the_same_file_get_different_names():
    data = jpeg_bytes((40, 40))
    assert clean_image(upload(data)).image.name != clean_image(upload(data)).image.name


def test_a_polyglot_jpeg_is_accepted_only_as_clean_re_encoded_bytes():
    original = jpeg_bytes((100, 80)) + HTML
    assert HTML in original

    cleaned = clean_image(upload(original))

    stored = cleaned.image.read()
    assert stored != original
    assert b"<script" not in stored
    assert b"<html" not in stored
    assert b"<script" not in cleaned.thumbnail.read()
    assert Image.open(io.BytesIO(stored)).size == (100, 80)


def test_exif_metadata_is_dropped():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "leaky-software"  # Software
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "JPEG", exif=exif)
    assert b"SecretCam" in out.getvalue()

    stored = clean_image(upload(out.getvalue())).image.read()

    assert b"SecretCam" not in stored
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}


UNREADABLE = "This file is not a readable JPEG, PNG or WebP image."
TOO_LARGE = "The image is too large: at most 10000 pixels a side."
WRONG_FORMAT = "Upload a JPEG, PNG or WebP image."

HOSTILE = [
    pytest.param(SVG, "logo.svg", "image/svg+xml", UNREADABLE, id="svg-with-script"),
    pytest.param(SVG, "logo.png", "image/png", UNREADABLE, id="svg-named-png"),
    pytest.param(HTML, "photo.jpg", "image/jpeg", UNREADABLE, id="html-named-jpg"),
    pytest.param(b"just some text\n", "photo.jpg", "image/jpeg", UNREADABLE, id="text-named-jpg"),
    pytest.param(b"", "empty.jpg", "image/jpeg", UNREADABLE, id="empty"),
    pytest.param(jpeg_bytes((200, 200))[:300], "cut.jpg", "image/jpeg", UNREADABLE, id="truncated"),
    pytest.param(gif_bytes(), "anim.gif", "image/gif", WRONG_FORMAT, id="gif"),
    pytest.param(gif_bytes(), "anim.jpg", "image/jpeg", WRONG_FORMAT, id="gif-named-jpg"),
    pytest.param(
        png_declaring(20_000, 20_000), "huge.png", "image/png", TOO_LARGE, id="20000x20000"
    ),
    pytest.param(
        png_declaring(12_000, 100), "wide.png", "image/png", TOO_LARGE, id="side-over-cap"
    ),
    pytest.param(
        png_declaring(10_000, 10_000, rows_of_zeros=10_000),
        "bomb.png",
        "image/png",
        TOO_LARGE,
        id="decompression-bomb-100mp",
    ),
    pytest.param(
        png_declaring(8_000, 8_000, rows_of_zeros=8_000),
        "bomb.png",
        "image/png",
        TOO_LARGE,
        id="decompression-bomb-64mp-over-pixel-cap",
    ),
]


@pytest.mark.parametrize(("data", "name", "content_type", "message"), HOSTILE)
def test_clean_image_refuses_hostile_files(data, name, content_type, message):
    with pytest.raises(ValidationFailed) as caught:
        clean_image(upload(data, name=name, content_type=content_type))
    assert caught.value.as_dict() == {
        "code": "image_rejected",
        "message": message,
        "field": "image",
    }


def test_the_bomb_is_small_on_the_wire():
    # The point of a bomb: a few KB that would decode to 100 megapixels.
    assert len(png_declaring(10_000, 10_000, rows_of_zeros=10_000)) < 50_000


def test_an_oversized_file_is_refused_before_it_is_read(settings):
    settings.MAX_IMAGE_BYTES = 8 * 1024 * 1024
    data = jpeg_bytes((10, 10)) + b"\0" * (8 * 1024 * 1024)
    with pytest.raises(ValidationFailed) as caught:
        clean_image(upload(data))
    assert caught.value.as_dict() == {
        "code": "image_rejected",
        "message": "Images may be at most 8 MB.",
        "field": "image",
    }


def test_the_field_name_is_passed_through():
    with pytest.raises(ValidationFailed) as caught:
        clean_image(upload(HTML), field="logo")
    assert caught.value.field == "logo"


# --- POST /api/supplier/products/{id}/images -----------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def images_url(product):
    return f"/api/supplier/products/{product.pk}/images"


def post_image(person, product, data, name="photo.jpg", content_type="image/jpeg"):
    return person.api(
        "POST", images_url(product), {"image": upload(data, name=name, content_type=content_type)}
    )


def post_raw_multipart(person, path, filename, data, content_type="image/png"):
    """Multipart built by hand, so the file name reaches the server exactly as a client sent it."""
    boundary = "hostileboundary7MA4YWxk"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="image"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return person.client.generic(
        "POST",
        path,
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_AUTHORIZATION=f"Bearer {person.token}",
    )


@pytest.mark.django_db
def test_api_stores_a_jpeg_and_its_thumbnail(supplier_a, category, media):
    product = make_product(supplier_a.actor, category)

    response = post_image(supplier_a, product, jpeg_bytes())

    assert response.status_code == 201
    body = response.json()
    image = ProductImage.objects.get()
    assert body == {
        "id": image.pk,
        "url": f"/media/{image.image.name}",
        "thumbnail_url": f"/media/{image.thumbnail.name}",
        "width": 1200,
        "height": 900,
    }
    assert (image.product_id, image.position) == (product.pk, 0)
    assert re.fullmatch(r"products/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", image.image.name)
    assert re.fullmatch(r"products/thumbs/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", image.thumbnail.name)
    assert Image.open(media / image.thumbnail.name).size == (480, 360)
    assert len(stored_files(media)) == 2


@pytest.mark.django_db
def test_api_keeps_png_alpha(supplier_a, category, media):
    product = make_product(supplier_a.actor, category)

    response = post_image(supplier_a, product, png_rgba_bytes(), "a.png", "image/png")

    assert response.status_code == 201
    image = ProductImage.objects.get()
    assert image.image.name.endswith(".png")
    stored = Image.open(media / image.image.name)
    assert (stored.mode, stored.getpixel((0, 0))[3]) == ("RGBA", 0)


@pytest.mark.django_db
def test_api_stores_a_polyglot_only_as_re_encoded_bytes(supplier_a, category, media):
    product = make_product(supplier_a.actor, category)

    response = post_image(supplier_a, product, jpeg_bytes((100, 80)) + HTML)

    assert response.status_code == 201
    for path in stored_files(media):
        content = path.read_bytes()
        assert b"<script" not in content
        assert b"<html" not in content


@pytest.mark.django_db
def test_api_ignores_a_path_traversal_file_name(supplier_a, category, media):
    product = make_product(supplier_a.actor, category)

    response = post_raw_multipart(
        supplier_a, images_url(product), "../../etc/passwd.png", png_rgba_bytes()
    )

    assert response.status_code == 201
    image = ProductImage.objects.get()
    assert "passwd" not in image.image.name
    assert ".." not in image.image.name
    assert re.fullmatch(r"products/\d{4}/\d{2}/[0-9a-f]{32}\.png", image.image.name)
    files = stored_files(media)
    assert len(files) == 2
    for path in files:
        assert path.resolve().is_relative_to(media.resolve())
        assert "passwd" not in path.name


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "name", "content_type", "message"), HOSTILE)
def test_api_refuses_hostile_files_and_stores_nothing(
    supplier_a, category, media, data, name, content_type, message
):
    product = make_product(supplier_a.actor, category)

    response = post_image(supplier_a, product, data, name, content_type)

    assert response.status_code == 422
    assert response.json() == {"code": "image_rejected", "message": message, "field": "image"}
    assert ProductImage.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.django_db
def test_api_refuses_an_oversized_file_and_stores_nothing(supplier_a, category, media):
    product = make_product(supplier_a.actor, category)
    data = jpeg_bytes((10, 10)) + b"\0" * (8 * 1024 * 1024)

    response = post_image(supplier_a, product, data)

    assert response.status_code == 422
    assert response.json() == {
        "code": "image_rejected",
        "message": "Images may be at most 8 MB.",
        "field": "image",
    }
    assert ProductImage.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.django_db
def test_api_refuses_a_hostile_file_sent_with_a_traversal_name(supplier_a, category, media):
    product = make_product(supplier_a.actor, category)

    response = post_raw_multipart(
        supplier_a, images_url(product), "../../etc/passwd.png", SVG, "image/svg+xml"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "image_rejected"
    assert ProductImage.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_file_sent_to_another_suppliers_product_is_a_404_before_it_is_decoded(
    supplier_a, supplier_b, category, media
):
    product = make_product(supplier_a.actor, category)

    response = post_image(supplier_b, product, b"<html>not an image</html>")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert ProductImage.objects.count() == 0
    assert stored_files(media) == []
