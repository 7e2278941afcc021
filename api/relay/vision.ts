// Images in web-chat messages (Chat Nio's front end puts them in the text: markdown images,
// data URIs, image links) reach vision-capable models as OpenAI image parts. A model is
// vision-capable by family: its name contains one of the `site.vision_models` fragments.

const MARKDOWN_IMAGE = /!\[[^\]]*\]\(((?:https?:\/\/|data:image\/)[^\s)]+)\)/g;
const DATA_URI = /data:image\/[a-z+.-]+;base64,[A-Za-z0-9+/=]+/g;
const IMAGE_LINK = /https?:\/\/\S+?\.(?:png|jpe?g|gif|webp)(?:\?\S*)?(?=\s|$)/gi;
/** At most this many images per message go upstream. */
const MAX_IMAGES = 16;

export function isVisionModel(model: string, fragments: readonly string[]): boolean {
  const name = model.toLowerCase();
  return fragments.some((fragment) => fragment && name.includes(fragment.toLowerCase()));
}

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** The message's text and images as parts; the plain string when it has no image. */
export function toVisionContent(content: string): string | ContentPart[] {
  const images: string[] = [];
  let text = content.replace(MARKDOWN_IMAGE, (_match, url: string) => {
    images.push(url);
    return '';
  });
  text = text.replace(DATA_URI, (uri) => {
    images.push(uri);
    return '';
  });
  text = text.replace(IMAGE_LINK, (url) => {
    images.push(url);
    return '';
  });
  if (images.length === 0) return content;
  const parts: ContentPart[] = [];
  if (text.trim()) parts.push({ type: 'text', text: text.trim() });
  for (const url of images.slice(0, MAX_IMAGES)) parts.push({ type: 'image_url', image_url: { url } });
  return parts;
}
