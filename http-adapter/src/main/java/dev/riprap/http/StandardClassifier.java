package dev.riprap.http;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/** The default classification, as documented on {@link HttpClassifier#standard()}. */
final class StandardClassifier implements HttpClassifier {
  static final StandardClassifier INSTANCE = new StandardClassifier();

  private StandardClassifier() {}

  @Override
  public boolean isTransientFailure(HttpResponse.ResponseInfo response) {
    return isTransientStatus(response.statusCode());
  }

  /** The standard rule for a status: 5xx, 408 (Request Timeout), 429 (Too Many Requests). */
  static boolean isTransientStatus(int status) {
    return status >= 500 || status == 408 || status == 429;
  }

  @Override
  public boolean isTransientFailure(Throwable failure) {
    if (failure instanceof SSLHandshakeException || failure instanceof SSLPeerUnverifiedException) {
      return false;
    }
    return failure instanceof IOException || failure instanceof TimeoutException;
  }

  @Override
  public String toString() {
    return "HttpClassifier.standard()";
  }
}
