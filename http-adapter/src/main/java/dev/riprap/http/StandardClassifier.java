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
    int status = response.statusCode();
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
