package dev.runlane.localcloud.template;

/** The template cannot be served locally; the message says which resource/property and why. */
public final class TemplateException extends RuntimeException {
    public TemplateException(String message) {
        super(message);
    }

    static TemplateException unsupported(String logicalId, String type, String what) {
        return new TemplateException("template.yaml: resource " + logicalId + " (" + type + "): " + what);
    }
}
