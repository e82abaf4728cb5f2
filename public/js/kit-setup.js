/*
 * Runs before the bootstrap-italia bundle. The bundle carries video.js, which otherwise injects
 * <style> elements at load time; the nonce-based CSP blocks them (and they are not needed: the
 * portal has no video players). See https://videojs.com/guides/options/#videojs_no_dynamic_style
 */
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
